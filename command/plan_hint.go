package command

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// checkIndexCommand is the `job run -check-index` command line that `job
// plan` suggests: it repeats the -var and -var-file flags the plan was made
// with, in their order, so that running it submits the job that was
// planned. Every word is quoted for a POSIX shell where it needs to be.
func checkIndexCommand(c *cli.Context, index uint64, path string) string {
	words := []string{"nomadlike", "job", "run", "-check-index", fmt.Sprint(index)}
	for _, f := range repeated(c, "var-file") {
		words = append(words, "-var-file="+shellQuote(f))
	}
	for _, v := range repeated(c, "var") {
		words = append(words, "-var="+shellQuote(v))
	}
	return strings.Join(append(words, shellQuote(path)), " ")
}

// shellQuote returns s as one POSIX shell word: unchanged when it holds
// only characters no shell treats specially, else in single quotes.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
