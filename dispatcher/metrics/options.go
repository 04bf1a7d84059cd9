package metrics

// Option configures New.
type Option interface {
	apply(*options)
}

type options struct {
	buckets []float64
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithBuckets sets the upper bounds, in seconds, of the handler duration
// histogram. Without it, or with an empty slice, prometheus.DefBuckets
// (5ms to 10s) are used.
func WithBuckets(buckets []float64) Option {
	return optionFunc(func(o *options) { o.buckets = append([]float64(nil), buckets...) })
}
