// Package schemas is sstaudit's wire contract: the embedded Avro schemas and
// their codecs, the canonical Event every input decodes to, the Finding type,
// and the decoders for the six input formats of SPEC §3.
//
// Decoders never panic on input and bound the work they do: a message that is
// not decodable at all yields a *DecodeError with a classified Reason, which
// the pipeline sends to the dead-letter topic; a message that decodes but holds
// wrong or missing fields yields events, and the checks report the faults.
package schemas
