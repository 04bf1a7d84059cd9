// Package events holds the event types and payloads the example's feature
// modules share: the contract between publishers and handlers.
//
// Payloads are plain structs with json tags. The publisher writes each field
// in the wire format of codex_platform.streams (a string as-is, anything else
// as "json:" + compact JSON), so a Python service can publish and consume the
// same events.
package events

// Stream is the stream every example event goes to. Its dead-letter stream is
// "bookings:dead".
const Stream = "bookings"

// Event types.
const (
	// BookingRequested: a guest asked for a room (payload BookingRequest).
	BookingRequested = "booking.requested"
	// BookingConfirmed: the payment went through (payload BookingConfirmation).
	BookingConfirmed = "booking.confirmed"
	// QuoteRequested: a request/reply exchange asking for a price (payload
	// QuoteRequest, reply Quote).
	QuoteRequested = "booking.quote_requested"
	// NewsletterRequested: send the newsletter to every subscriber (payload
	// Newsletter); a slow handler, used to show a graceful stop.
	NewsletterRequested = "newsletter.requested"
	// RoomViewed: a guest looked at a room (payload RoomView); many of them,
	// counted in batches.
	RoomViewed = "room.viewed"
)

// RoomView is the payload of RoomViewed.
type RoomView struct {
	Room  string `json:"room"`
	Guest string `json:"guest"`
}

// BookingRequest is the payload of BookingRequested.
type BookingRequest struct {
	BookingID string `json:"booking_id"`
	Guest     string `json:"guest"`
	Email     string `json:"email"`
	Room      string `json:"room"`
	Nights    int    `json:"nights"`
	AmountEUR int    `json:"amount_eur"`
	// Card is a sandbox payment token: "tok_visa" pays, "tok_flaky" fails
	// twice with a temporary error and then pays, "tok_declined" is
	// declined for good.
	Card string `json:"card"`
}

// BookingConfirmation is the payload of BookingConfirmed.
type BookingConfirmation struct {
	BookingID string `json:"booking_id"`
	Email     string `json:"email"`
	ChargeID  string `json:"charge_id"`
}

// QuoteRequest is the payload of QuoteRequested.
type QuoteRequest struct {
	Room   string `json:"room"`
	Nights int    `json:"nights"`
}

// Quote is the reply to a QuoteRequest.
type Quote struct {
	Room     string `json:"room"`
	Nights   int    `json:"nights"`
	TotalEUR int    `json:"total_eur"`
}

// Newsletter is the payload of NewsletterRequested.
type Newsletter struct {
	Subject string `json:"subject"`
}
