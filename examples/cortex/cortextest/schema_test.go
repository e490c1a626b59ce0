package cortextest

import (
	"errors"
	"strings"
	"testing"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/examples/cortex/cortex"
	"github.com/distributer/distributer/typed"
)

// Bodies that are valid on the wire, built by changing one value of these.
const (
	wireUser     = `{"metadata":{"user_id":42,"topic":"user"},"data":{"id":42,"name":"Dan Gittik","birthday":699746400,"gender":0}}`
	wireMeta     = `"metadata":{"user_id":42,"datetime":1575446887339,"topic":"%s"}`
	wirePose     = `{"translation":{"x":0.5,"y":0.25,"z":-1},"rotation":{"x":-0.1,"y":-0.25,"z":0,"w":0.95}}`
	wireImage    = `{"data":"/var/cortex/42/1575446887339/color_image.raw","width":1920,"height":1080}`
	wireFeelings = `{"hunger":-0.5,"thirst":0.25,"exhaustion":1,"happiness":-1}`
)

func wireBody(part, data string) string {
	return `{` + strings.Replace(wireMeta, "%s", part, 1) + `,"data":` + data + `}`
}

// TestSchemaEnforcesWireFacts checks the facts of the cortex wire format one
// by one against the built-in schemas: what the Python services send is
// accepted (bounds included), and each departure from the format is refused
// at the right JSON pointer.
func TestSchemaEnforcesWireFacts(t *testing.T) {
	valid := []struct{ name, topic, body string }{
		{"user", "user", wireUser},
		{"user_id and birthday 0, gender other", "user", `{"metadata":{"user_id":0,"topic":"user"},"data":{"id":0,"name":"","birthday":0,"gender":2}}`},
		{"feelings at both bounds", "raw.feelings", wireBody("feelings", `{"hunger":-1,"thirst":1,"exhaustion":-1,"happiness":1}`)},
		{"raw.pose", "raw.pose", wireBody("pose", wirePose)},
		{"parsed.pose carries the part name", "parsed.pose", wireBody("pose", wirePose)},
		{"raw.color_image", "raw.color_image", wireBody("color_image", wireImage)},
		{"parsed.depth_image", "parsed.depth_image", wireBody("depth_image", `{"data":"/var/cortex/42/1/depth_image.png","width":0,"height":0}`)},
		{"parsed.feelings", "parsed.feelings", wireBody("feelings", wireFeelings)},
	}
	for _, c := range valid {
		if err := cortex.Schemas.Validate(c.topic, []byte(c.body)); err != nil {
			t.Errorf("%s: valid wire body refused: %v\n%s", c.name, err, c.body)
		}
	}

	invalid := []struct {
		name, topic, body string
		at                string // JSON pointer of the failing value
	}{
		// The envelope: exactly two members.
		{"third envelope member", "raw.pose", strings.TrimSuffix(wireBody("pose", wirePose), "}") + `,"extra":1}`, ""},
		{"no data", "raw.pose", `{` + strings.Replace(wireMeta, "%s", "pose", 1) + `}`, ""},
		{"no metadata", "user", `{"data":{"id":42,"name":"x","birthday":0,"gender":0}}`, ""},
		// metadata: user_id and datetime unsigned integers, topic the part name.
		{"negative user_id", "raw.pose", strings.Replace(wireBody("pose", wirePose), `"user_id":42`, `"user_id":-1`, 1), "/metadata/user_id"},
		{"fractional user_id", "raw.pose", strings.Replace(wireBody("pose", wirePose), `"user_id":42`, `"user_id":4.5`, 1), "/metadata/user_id"},
		{"user_id as string", "user", strings.Replace(wireUser, `"user_id":42`, `"user_id":"42"`, 1), "/metadata/user_id"},
		{"negative datetime", "raw.feelings", strings.Replace(wireBody("feelings", wireFeelings), `"datetime":1575446887339`, `"datetime":-1`, 1), "/metadata/datetime"},
		{"no datetime on a raw topic", "raw.feelings", strings.Replace(wireBody("feelings", wireFeelings), `"datetime":1575446887339,`, ``, 1), "/metadata"},
		{"datetime on the user topic", "user", strings.Replace(wireUser, `"user_id":42,`, `"user_id":42,"datetime":1575446887339,`, 1), "/metadata"},
		{"routing key as metadata.topic", "raw.pose", wireBody("raw.pose", wirePose), "/metadata/topic"},
		{"another part's name", "parsed.pose", wireBody("feelings", wirePose), "/metadata/topic"},
		{"user topic not named user", "user", strings.Replace(wireUser, `"topic":"user"`, `"topic":"users"`, 1), "/metadata/topic"},
		// User.
		{"gender 3", "user", strings.Replace(wireUser, `"gender":0`, `"gender":3`, 1), "/data/gender"},
		{"gender as a name", "user", strings.Replace(wireUser, `"gender":0`, `"gender":"male"`, 1), "/data/gender"},
		{"negative birthday", "user", strings.Replace(wireUser, `"birthday":699746400`, `"birthday":-1`, 1), "/data/birthday"},
		{"no name", "user", strings.Replace(wireUser, `"name":"Dan Gittik",`, ``, 1), "/data"},
		// Feelings in [-1, 1].
		{"hunger above 1", "raw.feelings", wireBody("feelings", `{"hunger":1.5,"thirst":0,"exhaustion":0,"happiness":0}`), "/data/hunger"},
		{"happiness below -1", "parsed.feelings", wireBody("feelings", `{"hunger":0,"thirst":0,"exhaustion":0,"happiness":-1.01}`), "/data/happiness"},
		{"missing feeling", "raw.feelings", wireBody("feelings", `{"hunger":0,"thirst":0,"exhaustion":0}`), "/data"},
		// Pose: numbers; Image: a path and unsigned width and height.
		{"pose number as string", "raw.pose", wireBody("pose", strings.Replace(wirePose, `"x":0.5`, `"x":"0.5"`, 1)), "/data/translation/x"},
		{"quaternion without w", "raw.pose", wireBody("pose", strings.Replace(wirePose, `,"w":0.95`, ``, 1)), "/data/rotation"},
		{"negative width", "raw.color_image", wireBody("color_image", strings.Replace(wireImage, `"width":1920`, `"width":-1`, 1)), "/data/width"},
		{"fractional height", "parsed.color_image", wireBody("color_image", strings.Replace(wireImage, `"height":1080`, `"height":10.5`, 1)), "/data/height"},
		{"inlined image bytes", "raw.depth_image", wireBody("depth_image", strings.Replace(wireImage, `"/var/cortex/42/1575446887339/color_image.raw"`, `[1,2,3]`, 1)), "/data/data"},
	}
	for _, c := range invalid {
		err := cortex.Schemas.Validate(c.topic, []byte(c.body))
		var ve *typed.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, distributer.ErrInvalidMessage) {
			t.Errorf("%s: got %v, want a *typed.ValidationError\n%s", c.name, err, c.body)
			continue
		}
		var at []string
		found := false
		for _, cause := range ve.Causes {
			at = append(at, cause.InstanceLocation)
			found = found || cause.InstanceLocation == c.at
		}
		if !found {
			t.Errorf("%s: refused at %q, want %q: %v", c.name, at, c.at, err)
		}
	}
}
