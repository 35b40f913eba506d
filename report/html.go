package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
)

// ReportFile is the name of the page HTML writes.
const ReportFile = "report.html"

// Page is the content of report.html. Recipe, Summary and Hardware are
// (name, value) rows shown as tables; Summary rows are the headline numbers
// (test accuracy, top-5, best epoch, ...). Epochs and Classes fill the epoch
// and per-class tables and Figures lists PNG files in the report directory in
// the order they are shown.
type Page struct {
	Title    string
	Recipe   [][2]string
	Summary  [][2]string
	Hardware [][2]string
	Epochs   []Epoch
	Classes  []ClassMetrics
	Figures  []Figure
}

// Figure is a PNG file in the report directory, given by its base name, and
// the caption shown under it.
type Figure struct {
	File, Caption string
}

// pngMagic starts every PNG file.
const pngMagic = "\x89PNG\r\n\x1a\n"

// HTML writes dir/report.html: one self-contained page presenting p, with
// every figure read from dir and embedded as a base64 data: URI, so the page
// can be moved or mailed alone. All text is escaped. The page is written to a
// temporary file and renamed.
func HTML(dir string, p Page) error {
	out := filepath.Join(dir, ReportFile)

	// embed the figures
	type shown struct {
		Src     template.URL
		Caption string
		File    string
	}
	figs := make([]shown, len(p.Figures))
	for i, f := range p.Figures {
		if f.File == "" || f.File != filepath.Base(f.File) || f.File == ".." {
			return fmt.Errorf("report: %s: figure %d file %q must be a file name inside %s",
				out, i, f.File, dir)
		}
		b, err := os.ReadFile(filepath.Join(dir, f.File))
		if err != nil {
			return fmt.Errorf("report: %s: figure %s: %v; draw the figure before the page",
				out, f.File, err)
		}
		if !strings.HasPrefix(string(b), pngMagic) {
			return fmt.Errorf("report: %s: figure %s is not a PNG file", out, f.File)
		}
		figs[i] = shown{
			Src:     template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b)),
			Caption: f.Caption,
			File:    f.File,
		}
	}

	// rows of the epoch table, best validation accuracy marked
	type epochRow struct {
		Epoch
		Best bool
	}
	best := BestEpoch(p.Epochs)
	rows := make([]epochRow, len(p.Epochs))
	for i, e := range p.Epochs {
		rows[i] = epochRow{Epoch: e, Best: i == best}
	}
	var macro *ClassMetrics
	if len(p.Classes) > 0 {
		m := MacroAverage(p.Classes)
		macro = &m
	}

	title := p.Title
	if title == "" {
		title = "Training run"
	}
	data := struct {
		Title                     string
		Recipe, Summary, Hardware [][2]string
		Epochs                    []epochRow
		Classes                   []ClassMetrics
		Macro                     *ClassMetrics
		Figures                   []shown
	}{title, p.Recipe, p.Summary, p.Hardware, rows, p.Classes, macro, figs}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		return fmt.Errorf("report: %s: %v", out, err)
	}
	return writeAtomic(out, buf.Bytes())
}

// pageTemplate lays out report.html.
var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"pct":  func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) },
	"f4":   func(v float64) string { return fmt.Sprintf("%.4f", v) },
	"f1":   func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"num":  func(v float64) string { return fmt.Sprintf("%.0f", v) },
	"lr":   func(v float64) string { return fmt.Sprintf("%.4g", v) },
	"barw": func(v float64) string { return fmt.Sprintf("%.1f", 100*min(1, max(0, v))) },
}).Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  color: #1f2328; background: #fff; margin: 0; line-height: 1.45; }
main { max-width: 1080px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 16px; margin: 20px 0 8px; }
.lead { color: #57606a; margin: 0 0 8px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px; }
.card { border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 14px; background: #f6f8fa; }
.card .k { font-size: 12.5px; color: #57606a; }
.card .v { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 5px 10px; border-bottom: 1px solid #eaeef2; text-align: left; }
th { background: #f6f8fa; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { background: #fff8c5; font-weight: 600; }
tr.avg td { border-top: 2px solid #d0d7de; font-weight: 600; }
.kv td:first-child { color: #57606a; width: 45%; }
figure { margin: 18px 0 28px; }
figure img {
  max-width: 100%; height: auto; border: 1px solid #eaeef2; display: block; margin: 0 auto; }
figcaption { color: #57606a; font-size: 14px; margin-top: 8px; text-align: center; }
.bar {
  display: inline-block; height: 9px; background: #1f77b4; border-radius: 2px;
  vertical-align: middle; }
.barbox {
  display: inline-block; width: 90px; background: #eaeef2; border-radius: 2px;
  margin-left: 8px; }
@media (max-width: 760px) { .two { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p class="lead">Results of one training run: recipe, learning curves, figures, per-class
metrics and the epoch log.</p>

{{if .Summary}}<h2>Results at a glance</h2>
<div class="cards">
{{range .Summary}}<div class="card">
<div class="k">{{index . 0}}</div>
<div class="v">{{index . 1}}</div></div>
{{end}}</div>{{end}}

{{if or .Recipe .Hardware}}<div class="two">
<section>{{if .Recipe}}<h2>Recipe</h2>
<table class="kv"><tbody>
{{range .Recipe}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td></tr>
{{end}}</tbody></table>{{end}}</section>
<section>{{if .Hardware}}<h2>Hardware</h2>
<table class="kv"><tbody>
{{range .Hardware}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td></tr>
{{end}}</tbody></table>{{end}}</section>
</div>{{end}}

{{if .Figures}}<h2>Figures</h2>
{{range .Figures}}<figure>
<img src="{{.Src}}" alt="{{.Caption}}" title="{{.File}}">
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}{{end}}

{{if .Classes}}<h2>Per-class metrics (test set)</h2>
<table>
<thead><tr>
<th>class</th>
<th class="n">precision</th>
<th class="n">recall</th>
<th class="n">F1</th>
<th class="n">support</th></tr></thead>
<tbody>
{{range .Classes}}<tr>
<td>{{.Class}}</td>
<td class="n">{{pct .Precision}}</td>
<td class="n">{{pct .Recall}}</td>
<td class="n">{{pct .F1}}
<span class="barbox"><span class="bar" style="width: {{barw .F1}}%"></span></span></td>
<td class="n">{{.Support}}</td></tr>
{{end}}{{with .Macro}}<tr class="avg">
<td>{{.Class}}</td>
<td class="n">{{pct .Precision}}</td>
<td class="n">{{pct .Recall}}</td>
<td class="n">{{pct .F1}}
<span class="barbox"><span class="bar" style="width: {{barw .F1}}%"></span></span></td>
<td class="n">{{.Support}}</td></tr>{{end}}
</tbody></table>{{end}}

{{if .Epochs}}<h2>Epochs</h2>
<p class="lead">The highlighted row has the best validation accuracy.</p>
<table>
<thead><tr>
<th class="n">epoch</th>
<th class="n">train loss</th>
<th class="n">train acc</th>
<th class="n">val loss</th>
<th class="n">val acc</th>
<th class="n">learning rate</th>
<th class="n">seconds</th>
<th class="n">images/s</th></tr></thead>
<tbody>
{{range .Epochs}}<tr{{if .Best}} class="best"{{end}}>
<td class="n">{{.Epoch.Epoch}}</td>
<td class="n">{{f4 .TrainLoss}}</td>
<td class="n">{{pct .TrainAccuracy}}</td>
<td class="n">{{f4 .ValLoss}}</td>
<td class="n">{{pct .ValAccuracy}}</td>
<td class="n">{{lr .LR}}</td>
<td class="n">{{f1 .Seconds}}</td>
<td class="n">{{num .ImagesPerSec}}</td></tr>
{{end}}</tbody></table>{{end}}
</main>
</body>
</html>
`
