package report

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestPerClass(t *testing.T) {
	// rows true, columns predicted; class d never occurs nor is predicted
	m := [][]int{
		{5, 1, 0, 0},
		{2, 3, 1, 0},
		{0, 0, 4, 0},
		{0, 0, 0, 0},
	}
	got := PerClass(m, []string{"a", "b", "c", "d"})
	want := []ClassMetrics{
		{"a", 5.0 / 7, 5.0 / 6, 10.0 / 13, 6},
		{"b", 3.0 / 4, 1.0 / 2, 0.6, 6},
		{"c", 4.0 / 5, 1, 8.0 / 9, 4},
		{"d", 0, 0, 0, 0},
	}
	for i, w := range want {
		g := got[i]
		if g.Class != w.Class || g.Support != w.Support || !near(g.Precision, w.Precision) ||
			!near(g.Recall, w.Recall) || !near(g.F1, w.F1) {
			t.Errorf("class %d: got %+v, want %+v", i, g, w)
		}
	}
	avg := MacroAverage(got)
	if !near(avg.F1, (10.0/13+0.6+8.0/9)/4) || avg.Support != 16 {
		t.Errorf("macro average %+v", avg)
	}
	if g := Top1(m); !near(g, 12.0/16) {
		t.Errorf("Top1 = %v, want 0.75", g)
	}
	if g := PerClass(m, nil)[1].Class; g != "class 1" {
		t.Errorf("unnamed class = %q", g)
	}
}

func TestConfusion(t *testing.T) {
	m, err := Confusion([]int{0, 1, 1, 2}, []int{0, 0, 1, 2}, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{1, 1, 0}, {0, 1, 0}, {0, 0, 1}}
	for i := range want {
		for j := range want[i] {
			if m[i][j] != want[i][j] {
				t.Fatalf("got %v, want %v", m, want)
			}
		}
	}
	if _, err := Confusion([]int{3}, []int{0}, 3); err == nil {
		t.Error("prediction out of range accepted")
	}
	if _, err := Confusion([]int{0}, nil, 3); err == nil {
		t.Error("length mismatch accepted")
	}
}

func TestTopK(t *testing.T) {
	// [3, 4] scores; labels 2, 3, 1
	scores := []float32{
		0.1, 0.5, 0.3, 0.1, // label 2 ranks second
		0.4, 0.3, 0.2, 0.1, // label 3 ranks last
		0.5, 0.5, 0.0, 0.0, // label 1 ties class 0, which ranks first
	}
	labels := []int{2, 3, 1}
	for k, want := range map[int]float64{1: 0, 2: 2.0 / 3, 3: 2.0 / 3, 4: 1} {
		got, err := TopK(scores, labels, k)
		if err != nil || !near(got, want) {
			t.Errorf("top-%d = %v, %v; want %v", k, got, err, want)
		}
	}
	if _, err := TopK(scores, []int{0, 1, 2, 3, 0}, 1); err == nil {
		t.Error("ragged scores accepted")
	}
	if _, err := TopK(scores, []int{0, 1, 4}, 1); err == nil {
		t.Error("label out of range accepted")
	}
}

func TestEpochStats(t *testing.T) {
	es := []Epoch{
		{Epoch: 1, ValAccuracy: 0.4, Seconds: 10, ImagesPerSec: 100},
		{Epoch: 2, ValAccuracy: 0.75, Seconds: 20, ImagesPerSec: 300},
		{Epoch: 3, ValAccuracy: 0.8, Seconds: math.NaN()},
		{Epoch: 4, ValAccuracy: 0.8},
	}
	if b := BestEpoch(es); b != 2 {
		t.Errorf("BestEpoch = %d, want index 2", b)
	}
	if e := EpochsToFraction(es, 0.9); e != 2 {
		t.Errorf("EpochsToFraction(0.9) = %d, want epoch 2 (0.75 >= 0.72)", e)
	}
	if s, ips := MeanEpoch(es); s != 15 || ips != 200 {
		t.Errorf("MeanEpoch = %v, %v; want 15, 200", s, ips)
	}
	if BestEpoch(nil) != -1 || EpochsToFraction(nil, 0.9) != -1 {
		t.Error("empty epochs should give -1")
	}
}

func TestHTML(t *testing.T) {
	dir := t.TempDir()
	p := writeSyntheticRun(t, dir)
	b, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if n := strings.Count(page, `src="data:image/png;base64,`); n != len(p.Figures) {
		t.Errorf("%d embedded figures, want %d", n, len(p.Figures))
	}
	for _, f := range p.Figures {
		if !strings.Contains(page, "<figcaption>"+f.Caption+"</figcaption>") {
			t.Errorf("caption %q missing", f.Caption)
		}
	}
	for _, s := range []string{"90.12%", "random crop (pad 4), horizontal flip", "airplane",
		"macro average", `class="best"`} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Contains(page, `src="curves.png"`) || strings.Contains(page, "ZgotmplZ") {
		t.Error("figures referenced by file or filtered instead of embedded")
	}

	// text is escaped
	p.Title = `<script>alert("x")</script>`
	p.Recipe = [][2]string{{"a<b", "c&d"}}
	p.Figures = p.Figures[:1]
	p.Figures[0].Caption = "<b>bold</b>"
	if err := HTML(dir, p); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(filepath.Join(dir, ReportFile))
	page = string(b)
	for _, raw := range []string{"<script>", "<b>bold</b>", "a<b", "c&d"} {
		if strings.Contains(page, raw) {
			t.Errorf("unescaped %q in page", raw)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;") || !strings.Contains(page, "a&lt;b") {
		t.Error("escaped title or recipe missing")
	}
}

func TestHTMLErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notpng.png"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"missing.png", "../x.png", "notpng.png"} {
		err := HTML(dir, Page{Figures: []Figure{{File: f, Caption: "c"}}})
		if err == nil || !strings.Contains(err.Error(), "report.html") ||
			!strings.Contains(err.Error(), f) {
			t.Errorf("%s: error %v should name report.html and the figure", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ReportFile)); err == nil {
		t.Error("report.html written despite errors")
	}
}
