package export

// SetBatchSize makes e read n signatures per query and report progress
// every `every` rows, so tests can cross many batches with few rows.
func (e *Exporter) SetBatchSize(n int, every int64) {
	e.batch, e.progressEvery = n, every
}
