package notifications

import (
	"context"

	"go.uber.org/zap"
)

// Mailer sends an email.
type Mailer interface {
	Send(ctx context.Context, to, subject string) error
}

// LogMailer is a Mailer that only logs what it would send.
type LogMailer struct {
	log *zap.Logger
}

// NewLogMailer returns a LogMailer writing to log.
func NewLogMailer(log *zap.Logger) *LogMailer {
	return &LogMailer{log: log.Named("mailer")}
}

// Send logs the email instead of sending it.
func (m *LogMailer) Send(ctx context.Context, to, subject string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.log.Info("email (not sent: example mailer)", zap.String("to", to), zap.String("subject", subject))
	return nil
}
