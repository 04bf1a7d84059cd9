package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// cluster is a Redis Cluster of masters without replicas that the bench
// starts on free loopback ports, as internal/redistest.StartCluster does
// for the tests.
type cluster struct {
	addrs []string
	nodes []*exec.Cmd
	dir   string
}

// startCluster starts masters redis-server nodes in cluster mode, joins
// them with redis-cli --cluster create and waits until every slot is
// served. Its error says why a cluster cannot run here (no redis-cli, a
// redis-server without cluster support).
func startCluster(ctx context.Context, masters int) (*cluster, error) {
	for _, tool := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s is not on PATH (apt-get install redis-server redis-tools)", tool)
		}
	}
	dir, err := os.MkdirTemp("", "streamfx-bench-cluster-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir}
	for i := range masters {
		port, err := freePort()
		if err != nil {
			c.stop()
			return nil, err
		}
		nodeDir := fmt.Sprintf("%s/%d", dir, i)
		if err := os.Mkdir(nodeDir, 0o700); err != nil {
			c.stop()
			return nil, err
		}
		cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", nodeDir, "--protected-mode", "no",
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			c.stop()
			return nil, fmt.Errorf("start redis-server: %w", err)
		}
		c.nodes = append(c.nodes, cmd)
		addr := "127.0.0.1:" + strconv.Itoa(port)
		if err := waitPing(ctx, addr); err != nil {
			c.stop()
			return nil, fmt.Errorf("redis-server --cluster-enabled yes did not start (no cluster support?): %v: %s",
				err, strings.TrimSpace(out.String()))
		}
		c.addrs = append(c.addrs, addr)
	}
	args := append([]string{"--cluster", "create"}, c.addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		c.stop()
		return nil, fmt.Errorf("redis-cli --cluster create: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if err := c.waitReady(ctx); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// waitPing waits up to 10s until addr answers PING.
func waitPing(ctx context.Context, addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		err := c.Ping(ctx).Err()
		_ = c.Close()
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitReady waits up to 30s until every node reports cluster_state:ok with
// all 16384 slots served.
func (c *cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for _, addr := range c.addrs {
		for {
			rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
			info, err := rdb.ClusterInfo(ctx).Result()
			_ = rdb.Close()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_slots_ok:16384") {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return errors.Join(fmt.Errorf("cluster node %s not ready after 30s", addr), err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// client returns a new cluster client of c; the caller closes it.
func (c *cluster) client() *redis.ClusterClient {
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.addrs})
}

// stop kills every node and removes their files.
func (c *cluster) stop() {
	for _, n := range c.nodes {
		if n.Process != nil {
			_ = n.Process.Kill()
			_ = n.Wait()
		}
	}
	_ = os.RemoveAll(c.dir)
}
