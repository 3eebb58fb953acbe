package converter

import (
	"bytes"
	"encoding/binary"
)

// A tiny, allocation-free EXIF reader: the only value Coffre needs from the
// metadata is the orientation (tag 0x0112 in IFD0); everything else is
// dropped with the original bytes. Every offset is bounds-checked.

const tagOrientation = 0x0112

// exifOrientation returns the EXIF orientation (1..8) of an image file of
// format f, or 1 when there is none or it is invalid. HEIC is not read: its
// decoder applies the container's rotation and mirror boxes itself, which
// take precedence over EXIF.
func exifOrientation(data []byte, f Format) int {
	var tiff []byte
	switch f {
	case FormatJPEG:
		tiff = jpegExif(data)
	case FormatPNG:
		tiff = pngExif(data)
	case FormatWebP:
		tiff = webpExif(data)
	case FormatTIFF:
		tiff = data
	}
	if o := tiffOrientation(tiff); o >= 1 && o <= 8 {
		return o
	}
	return 1
}

// jpegExif returns the TIFF structure of the first APP1 "Exif" segment
// before the first scan, or nil.
func jpegExif(data []byte) []byte {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil
	}
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return nil
		}
		marker := data[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7):
			i += 2
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image
			return nil
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return nil
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		i += 2 + n
	}
	return nil
}

// pngExif returns the payload of the eXIf chunk before the image data, or nil.
func pngExif(data []byte) []byte {
	i := 8
	for i+12 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if n < 0 || n > len(data)-i-12 {
			return nil
		}
		switch typ {
		case "eXIf":
			return data[i+8 : i+8+n]
		case "IDAT", "IEND":
			return nil
		}
		i += 12 + n
	}
	return nil
}

// webpExif returns the payload of the RIFF "EXIF" chunk, or nil.
func webpExif(data []byte) []byte {
	i := 12
	for i+8 <= len(data) {
		n := int(binary.LittleEndian.Uint32(data[i+4:]))
		if n < 0 || n > len(data)-i-8 {
			return nil
		}
		if string(data[i:i+4]) == "EXIF" {
			p := data[i+8 : i+8+n]
			// Some writers keep the JPEG-style prefix.
			return bytes.TrimPrefix(p, []byte("Exif\x00\x00"))
		}
		i += 8 + n + n&1
	}
	return nil
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF structure; 0 if absent.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := bo.Uint32(t[4:])
	if off < 8 || uint64(off)+2 > uint64(len(t)) {
		return 0
	}
	n := int(bo.Uint16(t[off:]))
	p := int(off) + 2
	for k := 0; k < n && p+12 <= len(t); k, p = k+1, p+12 {
		if bo.Uint16(t[p:]) != tagOrientation {
			continue
		}
		typ, count := bo.Uint16(t[p+2:]), bo.Uint32(t[p+4:])
		if count != 1 {
			return 0
		}
		switch typ {
		case 3: // SHORT, stored in the first two bytes of the value field
			return int(bo.Uint16(t[p+8:]))
		case 4: // LONG (non-standard but seen)
			if v := bo.Uint32(t[p+8:]); v <= 8 {
				return int(v)
			}
		}
		return 0
	}
	return 0
}
