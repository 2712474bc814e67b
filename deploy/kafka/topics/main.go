// Command topics waits for a Kafka cluster to answer metadata requests and
// creates topics on it.
//
//	go run ./deploy/kafka/topics -brokers 127.0.0.1:29092 -partitions 4 tracking.client tracking.server
//	go run ./deploy/kafka/topics -brokers 127.0.0.1:29092 -wait 2m            # readiness probe only
//	go run ./deploy/kafka/topics -config cleanup.policy=compact sstaudit.state-changelog
//
// Existing topics are left as they are. After creating, it waits until the
// cluster's metadata shows every partition of every named topic with a leader,
// so that producers started right after it do not race topic creation.
// deploy/kafka/start.sh uses it (without topic names) to tell when the broker
// is ready.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
)

type configFlag []kafka.ConfigEntry

func (c *configFlag) String() string {
	parts := make([]string, len(*c))
	for i, e := range *c {
		parts[i] = e.ConfigName + "=" + e.ConfigValue
	}
	return strings.Join(parts, ",")
}

func (c *configFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("want key=value, got %q", v)
	}
	*c = append(*c, kafka.ConfigEntry{ConfigName: name, ConfigValue: value})
	return nil
}

func main() {
	brokers := flag.String("brokers", defaultBrokers(), "comma-separated bootstrap brokers")
	partitions := flag.Int("partitions", 1, "partitions per created topic")
	replication := flag.Int("replication", 1, "replication factor of created topics")
	wait := flag.Duration("wait", 30*time.Second, "how long to retry until the cluster answers and topics have leaders")
	quiet := flag.Bool("q", false, "print nothing on success")
	var configs configFlag
	flag.Var(&configs, "config", "topic config key=value for created topics (repeatable)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: topics [flags] [topic...]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *partitions < 1 || *replication < 1 {
		fmt.Fprintln(os.Stderr, "topics: -partitions and -replication must be at least 1")
		os.Exit(2)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *wait)
	defer cancel()
	logf := func(format string, args ...any) {
		if !*quiet {
			fmt.Printf(format+"\n", args...)
		}
	}
	if err := run(ctx, strings.Split(*brokers, ","), *partitions, *replication, configs, flag.Args(), logf); err != nil {
		fmt.Fprintf(os.Stderr, "topics: %v\n", err)
		os.Exit(1)
	}
}

func defaultBrokers() string {
	if port := os.Getenv("SSTAUDIT_KAFKA_PORT"); port != "" {
		return "127.0.0.1:" + port
	}
	return "127.0.0.1:29092"
}

func run(ctx context.Context, brokers []string, partitions, replication int, configs []kafka.ConfigEntry, topics []string, logf func(string, ...any)) error {
	var nodes []kafka.Broker
	err := retry(ctx, func() error {
		return withConn(ctx, brokers, func(conn *kafka.Conn) error {
			var err error
			if nodes, err = conn.Brokers(); err != nil {
				return fmt.Errorf("metadata: %w", err)
			}
			if len(nodes) == 0 {
				return errors.New("metadata lists no brokers yet")
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("cluster at %s not ready: %w", strings.Join(brokers, ","), err)
	}
	logf("cluster ready: %d broker(s) answering metadata at %s", len(nodes), strings.Join(brokers, ","))
	if len(topics) == 0 {
		return nil
	}

	specs := make([]kafka.TopicConfig, len(topics))
	for i, name := range topics {
		specs[i] = kafka.TopicConfig{
			Topic:             name,
			NumPartitions:     partitions,
			ReplicationFactor: replication,
			ConfigEntries:     configs,
		}
	}
	err = retry(ctx, func() error {
		return withConn(ctx, brokers, func(conn *kafka.Conn) error {
			controller, err := conn.Controller()
			if err != nil {
				return fmt.Errorf("find controller: %w", err)
			}
			addr := net.JoinHostPort(controller.Host, strconv.Itoa(controller.Port))
			return withConn(ctx, []string{addr}, func(cc *kafka.Conn) error {
				// kafka-go ignores TopicAlreadyExists, so reruns are harmless.
				return cc.CreateTopics(specs...)
			})
		})
	})
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	counts := map[string]int{}
	err = retry(ctx, func() error {
		return withConn(ctx, brokers, func(conn *kafka.Conn) error {
			var err error
			counts, err = leadersReady(conn, topics)
			return err
		})
	})
	if err != nil {
		return err
	}
	names := append([]string(nil), topics...)
	sort.Strings(names)
	for _, name := range names {
		logf("topic %s: %d partition(s) with leaders", name, counts[name])
	}
	return nil
}

// leadersReady returns the partition count of each topic when metadata lists
// every topic with at least one partition and every partition has a leader.
func leadersReady(conn *kafka.Conn, topics []string) (map[string]int, error) {
	parts, err := conn.ReadPartitions(topics...)
	if err != nil {
		return nil, fmt.Errorf("metadata for %s: %w", strings.Join(topics, ","), err)
	}
	counts := map[string]int{}
	for _, p := range parts {
		if p.Error != nil {
			return nil, fmt.Errorf("topic %s partition %d: %w", p.Topic, p.ID, p.Error)
		}
		if p.Leader.Host == "" {
			return nil, fmt.Errorf("topic %s partition %d has no leader yet", p.Topic, p.ID)
		}
		counts[p.Topic]++
	}
	for _, name := range topics {
		if counts[name] == 0 {
			return nil, fmt.Errorf("topic %s not in metadata yet", name)
		}
	}
	return counts, nil
}

// withConn dials the first broker that answers, bounds the connection with a
// deadline, and calls fn with it.
func withConn(ctx context.Context, brokers []string, fn func(*kafka.Conn) error) error {
	conn, err := dialAny(ctx, brokers)
	if err != nil {
		return err
	}
	defer conn.Close()
	return fn(conn)
}

func dialAny(ctx context.Context, brokers []string) (*kafka.Conn, error) {
	var errs []error
	for _, b := range brokers {
		conn, err := dialContext(ctx, strings.TrimSpace(b))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func dialContext(ctx context.Context, addr string) (*kafka.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := (&kafka.Dialer{Timeout: 5 * time.Second}).DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// retry calls fn every 250 ms until it succeeds or ctx ends, and then returns
// fn's last error.
func retry(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}
