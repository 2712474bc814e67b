# One-line targets; tests never run through a wrapper script. The only script
# is deploy/kafka/start.sh, which runs a single-node Apache Kafka on loopback.

KAFKA_PORT ?= $(or $(SSTAUDIT_KAFKA_PORT),29092)
export SSTAUDIT_KAFKA_PORT := $(KAFKA_PORT)
TEST_BROKERS := 127.0.0.1:$(KAFKA_PORT)
FUZZTIME ?= 10s

.PHONY: test test-unit test-integration kafka-up kafka-down lint bench bench-e2e fuzz demo build

test: kafka-up        ; SSTAUDIT_TEST_BROKERS=$(TEST_BROKERS) go test -race -timeout 30m ./...
test-unit:            ; env -u SSTAUDIT_TEST_BROKERS go test -race -timeout 10m ./...
test-integration: kafka-up ; SSTAUDIT_TEST_BROKERS=$(TEST_BROKERS) go test -race -timeout 30m -run Integration ./...
kafka-up:             ; deploy/kafka/start.sh
kafka-down:           ; deploy/kafka/stop.sh
lint:                 ; @test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }; go vet ./... && go tool staticcheck ./...
bench:                ; go test -run '^$$' -bench . -benchmem ./...
bench-e2e: kafka-up   ; go run ./cmd/sstaudit bench --brokers $(TEST_BROKERS) --keep-topics
fuzz:                 ; @n=0; ps=$$(go list ./schemas/...) || exit 1; for p in $$ps; do fs=$$(go test -list '^Fuzz' $$p) || exit 1; for f in $$(echo "$$fs" | grep '^Fuzz'); do echo "fuzz $$p $$f for $(FUZZTIME)"; go test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$p || exit 1; n=$$((n+1)); done; done; echo "fuzz: $$n target(s) run"
demo:                 ; go run ./cmd/sstaudit demo
build:                ; go build -o bin/sstaudit ./cmd/sstaudit
