package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
)

// redisURL is the URL of the Redis server the app uses.
type redisURL string

// redactURL returns rawURL with its password replaced, or a placeholder if it
// does not parse (a parse error would echo the password).
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparseable Redis URL>"
	}
	return u.Redacted()
}

// parseRedisURL is redis.ParseURL with errors that never contain the URL's
// password.
func parseRedisURL(rawURL string) (*redis.Options, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the whole URL, password included
		}
		return nil, fmt.Errorf("redis URL %s: %w", redactURL(rawURL), err)
	}
	return opts, nil
}

// newRedis returns the app's Redis client. The app owns it: streamfx never
// closes it, so it is closed here when the app stops, after every component
// that was built with it.
func newRedis(lc fx.Lifecycle, u redisURL) (redis.UniversalClient, error) {
	opts, err := parseRedisURL(string(u))
	if err != nil {
		return nil, err
	}
	rdb := redis.NewClient(opts)
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			if err := rdb.Ping(ctx).Err(); err != nil {
				return fmt.Errorf("redis %s: %w", redactURL(string(u)), err)
			}
			return nil
		},
		OnStop: func(context.Context) error { return rdb.Close() },
	})
	return rdb, nil
}
