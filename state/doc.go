// Package state is one task's Badger store: the join's open groups, their
// close index, window aggregates, the stream-time clock and the applied input
// offsets, behind a handful of methods.
//
// # Transactions and the durability model
//
// All work happens in a Tx (Store.Begin, or Store.Update with a closure). A
// Tx implements join.State, so the join reads and writes through it; reads
// see the transaction's own writes and nothing is visible elsewhere until
// Commit. The task stores each input's next offset with Tx.SetOffset in the
// same transaction as the state that input produced, so after a crash both
// or neither are there:
//
//	tx := store.Begin()
//	for each record (skipping offsets below tx.Offset(topic, partition)):
//	    out, err := proc.Apply(tx, ev)        // on error: tx.Discard(), retry from the stored offsets
//	    pending = append(pending, out...)
//	    tx.SetOffset(topic, partition, offset+1)
//	    if tx.Full() || batch done {
//	        produce(pending) and wait for the acks  // outputs first...
//	        tx.Commit()                              // ...then the state and offsets
//	        commit the offsets to Kafka              // only a hint: the store is the truth
//	        tx = store.Begin()
//	    }
//
// Outputs reach Kafka before the state that produced them commits. A crash in
// between replays the input from the stored offsets against the committed
// state; the deterministic join re-emits the same records with the same
// audit_id. Outputs are at-least-once with stable ids; state and metrics are
// exactly-once. Without WithSyncWrites a commit survives a process crash
// (Badger has written it to its memory-mapped WAL) but not necessarily a power
// loss; then the last commits are lost as a whole, offsets included, and are
// replayed: the same argument holds.
//
// # Transaction size
//
// Badger refuses a transaction over ~15% of the memtable (ErrTxnTooBig). Tx
// counts its writes as Badger does and Full reports when half the limit is
// used: commit there (after flushing the outputs) and continue in a new Tx.
// The join bounds the writes of one call (MaxClosesPerCall), so half the limit
// is ample room for the record in hand. A write that is refused anyway
// returns ErrTxnFull: discard the Tx and replay from the stored offsets, as
// after a crash — nothing is lost, because nothing of that Tx was committed.
//
// # Key layout
//
// One prefix byte per table; times are big-endian with the sign bit flipped,
// so byte order is time order:
//
//	'g' group key                  → group (join's compact encoding)
//	'x' close time, group key      → empty: the close index, scanned in order
//	'w' window start, window key   → window aggregate
//	'o' topic 0x00 partition(BE32) → next offset (BE64)
//	'm' "clk"                      → stream time, watermark
//	'm' "chl"                      → changelog position (local, never in Writes)
//
// Closing a group deletes its 'g' and 'x' entries; emitting a window deletes
// its 'w' entry. Deleted space comes back through compaction; GC runs
// Badger's value-log GC until there is nothing to rewrite (values are small
// and live in the LSM tree, so the value log holds little; call GC every few
// minutes anyway).
//
// # Changelog and restore
//
// Tx.Writes lists a transaction's state writes in order (puts, deletes,
// offsets, clock): replayed in commit order on an empty store they rebuild
// this one exactly. The task writes them to a compacted Kafka topic before
// committing, and records with Tx.SetChangelogOffset, in the same
// transaction, the changelog offset its state now includes. A task that
// arrives without current state applies the missing changelog records with a
// Restorer (Store.Restore): a Badger WriteBatch, fast and not atomic, which
// is fine because nothing uses the store until Restorer.Finish records the
// new position; a restore cut short is simply run again from the old one.
//
// # Badger options
//
// Chosen for many small values (groups of 50–200 bytes) on 2 cores with
// bounded memory:
//
//   - MemTableSize 16 MiB × 2 memtables (default 64 MiB × 5): 32 MiB of
//     memtables instead of 320; a transaction may then hold ~2.4 MiB, far more
//     than a batch of a few thousand records writes.
//   - Snappy block compression with a 16 MiB block cache: group values are
//     mostly random digests, but keys, names, topics and UUID text compress;
//     measured on 100k open server-side groups: 221 bytes/group uncompressed,
//     175 with Snappy, 161 with ZSTD(1) (SPEC §12 target: ≤ 200). Snappy costs
//     least CPU of the two. The block cache keeps hot blocks decompressed.
//   - IndexCacheSize 0: Badger caches indexes only for encrypted tables;
//     ours are read in place from the memory-mapped table files.
//   - TableSizeMultiplier 1 with BaseTableSize 4 MiB: every level's tables
//     are 4 MiB (by default they double per level, 64 MiB and more in the
//     deep levels of a large store). A table builder holds about twice its
//     table in buffers, and Badger pools up to eight builders' buffers; small
//     tables keep that pool small.
//   - ValueThreshold stays at 1 MiB: values live in the LSM tree, the value
//     log is only the write-ahead log.
//   - NumCompactors 2 and 4/8 level-0 tables (stall): compaction keeps up on
//     two cores without taking both.
//   - DetectConflicts off: a task is the only writer of its store.
//   - ValueLogFileSize 64 MiB: small files, so GC can reclaim them.
//   - SyncWrites off (see above); WithSyncWrites turns it on.
//
// # Memory
//
// The Go heap (memtables, block cache, builder buffers) is bounded by the
// options above and by the Go memory limit the process sets (sstaudit run
// --memory-limit). Badger also memory-maps every table file, with no option
// not to, and reads keys, block indexes and bloom filters in place; with
// random keys, lookups and compactions make the tables resident, and RSS
// (RssFile) grows with the state although those pages are reclaimable page
// cache. A trimmer (WithFileRSSBudget, on by default) checks the process's
// RssFile every second and, above the budget, drops the resident pages of
// the store's table mappings with madvise(MADV_DONTNEED): for a shared file
// mapping this only unmaps them; the data and the page cache are untouched,
// and the next access is a minor fault. Only tables pinned by an open
// iterator for the whole trim are advised, so a mapping cannot be unmapped
// and its address reused meanwhile. Linux only; elsewhere a no-op.
//
// Badger's logs go to the injected slog.Logger: errors and warnings at their
// level, its chatty info and debug at debug. A directory held by another
// process is ErrLocked; a corrupt one an error naming the directory, at Open.
package state
