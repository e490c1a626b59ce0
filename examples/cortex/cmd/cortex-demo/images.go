package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
)

// errBadImage marks a raw image file that can never be parsed: missing,
// not gzip, or of the wrong size. Parsers reject (dead-letter) such messages
// instead of retrying them.
var errBadImage = errors.New("bad raw image")

// writeColorRaw writes a synthetic W×H colour frame as the server does: gzip
// of the RGB bytes, row by row. seed varies the picture between snapshots.
func writeColorRaw(path string, w, h int, seed int64) error {
	pix := make([]byte, 0, w*h*3)
	phase := float64(seed%1000) / 1000 * 2 * math.Pi
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			r := 127 + 127*math.Sin(2*math.Pi*fx+phase)
			g := 127 + 127*math.Sin(2*math.Pi*fy+phase/2)
			b := 255 * (1 - fy) // a sky above the horizon
			pix = append(pix, byte(r), byte(g), byte(b))
		}
	}
	return writeGzip(path, pix)
}

// writeDepthRaw writes a synthetic W×H depth frame: gzip of little-endian
// float32 distances in metres (a room with a ball in front of the wall).
func writeDepthRaw(path string, w, h int, seed int64) error {
	buf := make([]byte, 0, w*h*4)
	cx := float64(w) * (0.3 + 0.4*float64(seed%100)/100)
	cy, rad := float64(h)/2, float64(min(w, h))/4
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := 3.0 + 0.5*float64(y)/float64(h) // the wall, farther at the bottom
			if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy < rad*rad {
				d = 1.2 + math.Sqrt(dx*dx+dy*dy)/rad*0.3 // the ball
			}
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(d)))
		}
	}
	return writeGzip(path, buf)
}

func writeGzip(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	if _, err := zw.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readGzip reads a raw image file and checks it holds want bytes.
func readGzip(path string, want int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadImage, err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errBadImage, path, err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, int64(want)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errBadImage, path, err)
	}
	if len(data) != want {
		return nil, fmt.Errorf("%w: %s holds %d bytes, want %d", errBadImage, path, len(data), want)
	}
	return data, nil
}

// colorToJPEG turns a raw colour image file into a JPEG file at out.
func colorToJPEG(raw, out string, w, h int) error {
	pix, err := readGzip(raw, w*h*3)
	if err != nil {
		return err
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, j := 0, 0; i < len(pix); i, j = i+3, j+4 {
		img.Pix[j], img.Pix[j+1], img.Pix[j+2], img.Pix[j+3] = pix[i], pix[i+1], pix[i+2], 255
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		return err
	}
	return writeFile(out, b.Bytes())
}

// depthToPNG turns a raw depth image file into a PNG heat map at out: near
// is red, far is blue.
func depthToPNG(raw, out string, w, h int) error {
	buf, err := readGzip(raw, w*h*4)
	if err != nil {
		return err
	}
	vals := make([]float32, w*h)
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for i := range vals {
		v := math.Float32frombits(binary.LittleEndian.Uint32(buf[i*4:]))
		vals[i] = v
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i, v := range vals {
		t := float32(0)
		if hi > lo {
			t = (v - lo) / (hi - lo)
		}
		img.Set(i%w, i/w, heat(t))
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return err
	}
	return writeFile(out, b.Bytes())
}

// heat maps t in [0, 1] (near to far) to red, yellow, green, cyan, blue.
func heat(t float32) color.NRGBA {
	t = min(max(t, 0), 1)
	h := (1 - t) * 4 // 4 = red ... 0 = blue
	seg, f := int(h), h-float32(int(h))
	c := func(v float32) uint8 { return uint8(v*255 + 0.5) }
	switch seg {
	case 0:
		return color.NRGBA{0, c(f), 255, 255} // blue -> cyan
	case 1:
		return color.NRGBA{0, 255, c(1 - f), 255} // cyan -> green
	case 2:
		return color.NRGBA{c(f), 255, 0, 255} // green -> yellow
	case 3:
		return color.NRGBA{255, c(1 - f), 0, 255} // yellow -> red
	default:
		return color.NRGBA{255, 0, 0, 255}
	}
}

// writeFile writes data to path atomically (temp file and rename), creating
// the directory.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
