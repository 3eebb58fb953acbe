package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/coffre/coffre/internal/photogen"
)

// TestCornersPlaced (issue 17 §2): corners placed by the person travel
// with a page: the check answers the corners it used (its own, or the
// person's, marked placed) and a cleaned page cut by them; the helper's
// send carries them by page number; hostile corners (not numbers, NaN
// spelled out, outside the photo, crossing, too small, too many, for a
// page not sent, a PDF) are refused in the person's language and the
// pending pages stay.
func TestCornersPlaced(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	owner.lang = "fr"
	signUpOwner(t, owner, "coins.titulaire", "pomme radis ballon hibou")
	o := photogen.Options{Width: 1200, Height: 1600, Seed: 17, Angle: 2}
	photo, err := photogen.Photo(photogen.Documents()[0], o)
	if err != nil {
		t.Fatal(err)
	}
	var tq [4][2]float64
	for i, c := range photogen.Corners(o) {
		tq[i] = [2]float64{c.X, c.Y}
	}
	half := tq
	half[2] = [2]float64{(tq[1][0] + tq[2][0]) / 2, (tq[1][1] + tq[2][1]) / 2}
	half[3] = [2]float64{(tq[0][0] + tq[3][0]) / 2, (tq[0][1] + tq[3][1]) / 2}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	type checked struct {
		Check struct {
			Verdict   string       `json:"verdict"`
			Thumbnail string       `json:"thumbnail"`
			Corners   [][2]float64 `json:"corners"`
			Placed    bool         `json:"placed"`
		} `json:"check"`
	}
	check := func(corners string) (resp, checked) {
		h := map[string]string{}
		if corners != "" {
			h["X-Page-Corners"] = corners
		}
		r := owner.send(t, request{method: "POST", path: "/papers/check", body: bytes.NewReader(photo), contentType: "image/jpeg", header: h})
		var c checked
		if r.status == 200 {
			r.json(t, &c)
		}
		return r, c
	}
	_, auto := check("")
	if auto.Check.Verdict != "ok" || len(auto.Check.Corners) != 4 || auto.Check.Placed {
		t.Fatalf("without corners: %+v", auto.Check.Corners)
	}
	r, top := check(js(half))
	if r.status != 200 || !top.Check.Placed || top.Check.Thumbnail == auto.Check.Thumbnail {
		t.Fatalf("with the top half's corners: %d placed %v, same thumbnail %v", r.status, top.Check.Placed, top.Check.Thumbnail == auto.Check.Thumbnail)
	}
	hostile := map[string]string{
		"not JSON":      "coins",
		"a string":      `[["1","2"],[3,4],[5,6],[7,8]]`,
		"NaN":           `[[NaN,2],[3,4],[5,6],[7,8]]`,
		"huge":          `[[1e999,2],[3,4],[5,6],[7,8]]`,
		"three":         js(tq[:3]),
		"five":          js(append(tq[:], tq[0])),
		"a triple":      `[[1,2,3],[3,4],[5,6],[7,8]]`,
		"outside":       js([4][2]float64{tq[0], tq[1], {5000, 5000}, tq[3]}),
		"crossing":      js([4][2]float64{tq[0], tq[2], tq[1], tq[3]}),
		"too small":     js([4][2]float64{{10, 10}, {40, 10}, {40, 40}, {10, 40}}),
		"all one point": js([4][2]float64{{9, 9}, {9, 9}, {9, 9}, {9, 9}}),
		"long":          "[" + strings.Repeat(" ", 500) + "]",
	}
	for name, c := range hostile {
		r, _ := check(c)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "les coins placés ne forment pas une page") {
			t.Errorf("%s: %d %s", name, r.status, truncate(r.body))
		}
	}

	// The helper: the page's check with corners, then Send with them.
	var link struct {
		Token string `json:"token"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Photos", "max_uses": 5}), 201, "link").json(t, &link)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	k := base64.RawURLEncoding.EncodeToString(key)
	helper := e.client()
	helper.lang = "en"
	put := func(n string, body []byte, corners string) resp {
		h := map[string]string{"X-Upload-Key": k}
		if corners != "" {
			h["X-Page-Corners"] = corners
		}
		return helper.send(t, request{method: "PUT", path: "/d/" + link.Token + "/pages/" + n, body: bytes.NewReader(body), contentType: "image/jpeg", header: h})
	}
	var got checked
	want(t, put("1", photo, js(half)), 201, "page with corners").json(t, &got)
	if !got.Check.Placed || got.Check.Thumbnail != top.Check.Thumbnail {
		t.Errorf("the helper's page with corners: placed %v, same thumbnail as the owner's %v", got.Check.Placed, got.Check.Thumbnail == top.Check.Thumbnail)
	}
	if r := put("2", photo, hostile["crossing"]); r.status != 422 || !strings.Contains(string(r.body), "the corners placed do not outline a page") {
		t.Errorf("crossing corners on the helper's page: %d %s", r.status, truncate(r.body))
	}
	want(t, put("3", []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), js(half)), 422, "a PDF with corners")
	send := func(corners map[string]any) resp {
		return helper.do(t, "POST", "/d/"+link.Token+"/send", map[string]any{"key": k, "pages": []int{1}, "corners": corners})
	}
	for name, c := range map[string]map[string]any{
		"crossing":     {"1": json.RawMessage(hostile["crossing"])},
		"not a page":   {"7": half},
		"not a number": {"x": half},
		"NaN":          {"1": "[[NaN,2],[3,4],[5,6],[7,8]]"},
	} {
		if r := send(c); r.status != 422 {
			t.Errorf("send with %s corners: %d %s", name, r.status, truncate(r.body))
		}
	}
	// Refused corners leave the page waiting: sent again, right, it goes.
	r = want(t, send(map[string]any{"1": half}), 201, "send with corners")
	var rc struct {
		Pages int `json:"pages"`
	}
	r.json(t, &rc)
	if rc.Pages != 1 {
		t.Errorf("sent %d pages", rc.Pages)
	}
}
