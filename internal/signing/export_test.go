package signing

// QueueLen reports how many signatures wait in the writer's queue, so tests
// can hold a batch in the store until the others have queued behind it.
func (w *BatchWriter) QueueLen() int { return len(w.queue) }

// Closing reports whether Close has begun, so a test can offer a signature
// while queued ones are still being drained.
func (w *BatchWriter) Closing() bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.closed
}

// RuleKey names the message of a failed validation tag, as Check does.
var RuleKey = ruleKey
