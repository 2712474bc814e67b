package schemas_test

import (
	"fmt"

	"github.com/sstaudit/sstaudit/schemas"
)

func ExampleCodec() {
	codecs, err := schemas.NewCodecs(schemas.OutputAvro) // once, in main
	if err != nil {
		fmt.Println(err)
		return
	}
	c := codecs.WindowMetrics
	avg := 7.5
	b, err := c.Encode(schemas.WindowMetrics{
		Destination: "meta", EventName: "Purchase", Partition: 2,
		WindowStart: 1772446440000, WindowEnd: 1772446500000,
		ClientEvents: 10, ServerEvents: 9, Matched: 9, Aligned: 8,
		EMQEstimateAvg: &avg,
		SchemaVersion:  schemas.RecordSchemaVersion,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("headers: content-type=%s sstaudit-schema=%s\n", c.ContentType(), c.SchemaHeader())
	fmt.Printf("magic: % x, %d bytes\n", b[:2], len(b))

	m, err := c.Decode(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("dedup rate %.0f%%, emq %.1f\n", 100*float64(m.Matched)/float64(m.ServerEvents), *m.EMQEstimateAvg)
	// Output:
	// headers: content-type=application/avro sstaudit-schema=io.sstaudit.WindowMetrics/1
	// magic: c3 01, 72 bytes
	// dedup rate 100%, emq 7.5
}
