package command

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

func jobHistoryCommand() *cli.Command {
	return &cli.Command{
		Name:      "history",
		Usage:     "Show the stored versions of a job",
		ArgsUsage: "ID",
		Flags: []cli.Flag{addressFlag(), jsonFlag(),
			&cli.BoolFlag{Name: "p", Usage: "show the change each version made"},
			&cli.StringFlag{Name: "version", Usage: "show only version `N`"},
		},
		Action: func(c *cli.Context) error {
			client, ctx, id, err := jobArg(c, "job history")
			if err != nil {
				return err
			}
			versions, diffs, _, err := client.Jobs().Versions(ctx, id, true, nil)
			if err != nil {
				return agentError(c, fmt.Sprintf("read versions of job %q", id), err)
			}
			want := int64(-1)
			if s := c.String("version"); s != "" {
				v, err := strconv.ParseUint(s, 10, 64)
				if err != nil {
					return userError("-version %q: want a version number", s)
				}
				want = int64(v)
			}
			w := c.App.Writer
			if c.Bool("json") {
				return printJSON(w, versions)
			}
			shown := 0
			for i, v := range versions {
				if want >= 0 && int64(v.Version) != want {
					continue
				}
				if shown > 0 {
					fmt.Fprintln(w)
				}
				shown++
				var d *api.JobDiff
				if i < len(diffs) {
					d = diffs[i]
				}
				formatVersion(c, v, d)
			}
			if want >= 0 && shown == 0 {
				return userError("job %q has no version %d", id, want)
			}
			return nil
		},
	}
}

func formatVersion(c *cli.Context, v *nomadlike.Job, d *api.JobDiff) {
	w := c.App.Writer
	pairs := [][2]string{
		{"Version", strconv.FormatUint(v.Version, 10)},
		{"Stable", strconv.FormatBool(v.Stable)},
		{"Submit Date", formatUnixNano(v.SubmitTime)},
	}
	if c.Bool("p") && d != nil {
		var buf bytes.Buffer
		formatJobDiff(&buf, d, nil, false)
		pairs = append(pairs, [2]string{"Diff", "\n" + strings.TrimRight(buf.String(), "\n")})
	}
	kv(w, pairs)
}
