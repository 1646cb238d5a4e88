package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The browser harness of the web UI tests (TestUI*): a real headless
// Chromium driven through chromedp. Without a Chromium the tests skip with a
// message, unless CI is set: then a missing browser fails them (the deps
// script installs Debian's chromium).

// uiScreenshotsEnv names the directory `make screenshots` writes the UI's
// screenshots to (website/ui); unset, the tests take none.
const uiScreenshotsEnv = "NOMADLIKE_UI_SCREENSHOTS"

// chromiumPath finds the browser, or skips (fails under CI) without one.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		tb.Fatal("no chromium on PATH and CI is set: the browser tests must run (install it with scripts/deps.sh)")
	}
	tb.Skip("no chromium on PATH: skipping the browser tests (scripts/deps.sh installs Debian's chromium; with CI set this fails)")
	return ""
}

// newBrowser starts a headless Chromium for the test and returns a tab's
// context, which ends after timeout; the browser is killed at cleanup.
// JavaScript dialogs (the UI's confirmations) are accepted.
func newBrowser(tb testing.TB, timeout time.Duration) context.Context {
	tb.Helper()
	bin := chromiumPath(tb)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(1024, 680),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-prefers-reduced-motion", true),
	)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	tb.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	if err := chromedp.Do(bctx); err != nil {
		tb.Fatalf("start chromium (%s): %v", bin, err)
	}
	dialogs := chromedp.Events(bctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(bctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return bctx
}

// browse runs chromedp actions, failing the test with what was being done.
func browse(tb testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		tb.Fatalf("%s: %v\n----- page text -----\n%s", what, err, clipText(body, 3000))
	}
}

// waitJS polls a JavaScript expression until it is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second))
}

// uiShot saves a screenshot of the page as <name>.png when `make
// screenshots` asked for them (uiScreenshotsEnv).
func uiShot(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	dir := os.Getenv(uiScreenshotsEnv)
	if dir == "" {
		return
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.Fatalf("screenshot %s: %v", name, err)
	}
	small, err := smallPNG(shot)
	if err != nil {
		tb.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), small, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// smallPNG re-encodes a screenshot with 256 colours (a 6x6x6 cube and 40
// greys, no dithering: text stays sharp) at the best compression, about a
// third of the size, so that website/ui stays small.
func smallPNG(in []byte) ([]byte, error) {
	img, err := png.Decode(bytes.NewReader(in))
	if err != nil {
		return nil, err
	}
	var pal color.Palette
	for r := range 6 {
		for g := range 6 {
			for b := range 6 {
				pal = append(pal, color.RGBA{uint8(r * 51), uint8(g * 51), uint8(b * 51), 255})
			}
		}
	}
	for i := range 40 {
		v := uint8(i * 255 / 39)
		pal = append(pal, color.RGBA{v, v, v, 255})
	}
	pi := image.NewPaletted(img.Bounds(), pal)
	draw.Draw(pi, pi.Bounds(), img, img.Bounds().Min, draw.Src)
	var out bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&out, pi); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func clipText(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// waitJSNav waits for a JavaScript expression to be true across a page
// navigation (a form post and its redirect), which interrupts a poll.
func waitJSNav(tb testing.TB, ctx context.Context, what, expr string) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := chromedp.Do(ctx, waitJS(expr))
		if err == nil {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			browse(tb, ctx, what, waitJS(expr)) // fails with the page's text
			return
		}
		if !sleepCtx(ctx, 100*time.Millisecond) {
			tb.Fatalf("%s: %v", what, ctx.Err())
		}
	}
}

// uiA11yProblems lists what the page lacks for keyboard and screen reader
// users: form controls without a label, tables without header cells, images
// without a text alternative, a first Tab that does not reach the skip link.
const uiA11yProblems = `(function () {
  var out = [];
  document.querySelectorAll('input:not([type=hidden]), select, textarea').forEach(function (e) {
    if ((!e.labels || e.labels.length === 0) && !e.getAttribute('aria-label')) out.push('unlabelled ' + e.tagName + ' ' + (e.name || e.id));
  });
  document.querySelectorAll('table').forEach(function (t, i) {
    if (!t.querySelector('th')) out.push('table ' + i + ' without header cells');
  });
  document.querySelectorAll('svg, img').forEach(function (e, i) {
    if (!e.getAttribute('aria-label') && !e.getAttribute('alt') && e.getAttribute('aria-hidden') !== 'true') out.push('image ' + i + ' without a text alternative');
  });
  if (!document.querySelector('main h1')) out.push('no h1 in main');
  return out.join('; ');
})()`

// checkA11y fails the test with what uiA11yProblems finds, and checks that
// the first Tab reaches the skip link.
func checkA11y(tb testing.TB, ctx context.Context, page string) {
	tb.Helper()
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[string](uiA11yProblems))
	if err != nil {
		tb.Fatalf("%s: accessibility check: %v", page, err)
	}
	if problems != "" {
		tb.Errorf("%s: %s", page, problems)
	}
	browse(tb, ctx, page+": first Tab",
		chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.getSelection().removeAllRanges()`),
		chromedp.KeyEvent("\t"))
	focused, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.textContent : ""`))
	if focused != "Skip to content" {
		tb.Errorf("%s: the first Tab focuses %q, want the skip link", page, focused)
	}
}

// clickJS clicks the element sel matches in one script run: a live update
// may swap the part of the page the element is in between a lookup and a
// click by chromedp.Click.
func clickJS(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).click()`, sel)))
}
