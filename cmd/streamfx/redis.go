package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"
)

// connect returns a client for rawURL, after checking that Redis answers: a
// Cluster client when the URL lists nodes with addr= parameters or the node
// says it is in a Cluster, else a single-node client. No error holds the
// password.
func connect(ctx context.Context, rawURL string) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis URL %s: cannot parse it", redact(rawURL))
	}
	if u.Query().Has("addr") {
		return connectCluster(ctx, rawURL)
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, urlError(rawURL, err)
	}
	rdb := redis.NewClient(opts)
	info, err := rdb.Info(ctx, "cluster").Result()
	if err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redis %s: %w", redact(rawURL), err)
	}
	if !strings.Contains(info, "cluster_enabled:1") {
		return rdb, nil
	}
	_ = rdb.Close()
	return connectCluster(ctx, rawURL)
}

// connectCluster returns a Cluster client for rawURL once it answers.
func connectCluster(ctx context.Context, rawURL string) (redis.UniversalClient, error) {
	opts, err := redis.ParseClusterURL(rawURL)
	if err != nil {
		return nil, urlError(rawURL, err)
	}
	rdb := redis.NewClusterClient(opts)
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redis cluster %s: %w", redact(rawURL), err)
	}
	return rdb, nil
}

// urlError is a URL parse error without the URL's password.
func urlError(rawURL string, err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // url.Error repeats the whole URL, password included
	}
	return fmt.Errorf("redis URL %s: %w", redact(rawURL), err)
}

// redact returns rawURL with its password replaced, or a placeholder if it
// does not parse (a parse error could echo the password).
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparseable URL>"
	}
	return u.Redacted()
}
