package servicetest_test

import (
	"context"
	"testing"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/examples/cortex/cortex"
	"github.com/distributer/distributer/servicetest"
)

// A pose parser in the style of the cortex pipeline: raw.pose in,
// parsed.pose out, metadata kept.
func startPoseParser(t *testing.T, c *cortex.Conn) {
	t.Helper()
	_, err := c.RawPose.Subscribe(context.Background(), cortex.RawPoseHandlerFunc(
		func(ctx context.Context, m cortex.Envelope[cortex.Pose], _ *distributer.Message) error {
			return c.ParsedPose.Publish(ctx, m)
		}), distributer.Group("pose-parser"))
	if err != nil {
		t.Fatal(err)
	}
}

func TestCortexParserPublishesExactlyOneParsedPose(t *testing.T) {
	bus := servicetest.New(t, servicetest.Schemas(cortex.Schemas))
	c := cortex.New(bus.D)
	startPoseParser(t, c)
	pose := cortex.Pose{
		Translation: cortex.Translation{X: 0.5, Y: 0.25, Z: -1},
		Rotation:    cortex.Rotation{X: -0.1, Y: -0.25, Z: 0, W: 0.95},
	}
	err := c.PublishRawSnapshot(context.Background(), cortex.Envelope[cortex.Snapshot]{
		Metadata: cortex.Metadata{UserID: 42},
		Data:     cortex.Snapshot{Datetime: 1575446887339, Pose: &pose},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := servicetest.ExpectOneBy(bus, cortex.Topics.ParsedPose,
		func(m cortex.Envelope[cortex.Pose]) cortex.Pose { return m.Data }, pose)
	if got.Metadata.UserID != 42 || got.Metadata.Topic != "pose" {
		t.Errorf("metadata %+v", got.Metadata)
	}
	bus.ExpectNone("parsed.feelings")
	bus.ExpectNoInvalid()
	bus.ExpectNoDeadLetters()
}
