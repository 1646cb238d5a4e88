package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// allocFSCommand is "alloc fs [-stat] [-f] [-tail] [-n N] [-c N] ALLOC [PATH]",
// as Nomad's: a directory is listed, a file printed (followed with -f),
// -stat describes the path. Paths are relative to the allocation
// directory ("/" by default); links are shown, never followed.
func allocFSCommand() *cli.Command {
	return &cli.Command{
		Name:      "fs",
		Usage:     "Inspect the contents of an allocation directory",
		ArgsUsage: "ALLOC [PATH]",
		Flags: []cli.Flag{
			addressFlag(), jsonFlag(),
			&cli.BoolFlag{Name: "H", Usage: "human-readable file sizes"},
			&cli.BoolFlag{Name: "stat", Usage: "show the file's information instead of its content"},
			&cli.BoolFlag{Name: "f", Usage: "follow the file as it grows (until Ctrl-C)"},
			&cli.BoolFlag{Name: "tail", Usage: "start at the end of the file (10 lines, or -n/-c)"},
			&cli.Int64Flag{Name: "n", Value: -1, Usage: "with -tail: number of lines to show"},
			&cli.Int64Flag{Name: "c", Value: -1, Usage: "with -tail: number of bytes to show"},
		},
		Action: func(c *cli.Context) error {
			client, err := apiClient(c)
			if err != nil {
				return err
			}
			id, err := allocArg(c, client)
			if err != nil {
				return err
			}
			path := "/"
			if c.NArg() > 1 {
				path = c.Args().Get(1)
			}
			ctx := cmdContext(c)
			fs := client.AllocFS()
			fi, err := fs.Stat(ctx, id, path)
			if err != nil {
				return agentError(c, "stat "+path, err)
			}
			switch {
			case c.Bool("stat"):
				if c.Bool("json") {
					return printJSON(c.App.Writer, fi)
				}
				printFileInfos(c.App.Writer, []*api.AllocFileInfo{fi}, c.Bool("H"))
				return nil
			case fi.IsDir:
				infos, err := fs.List(ctx, id, path)
				if err != nil {
					return agentError(c, "list "+path, err)
				}
				if c.Bool("json") {
					return printJSON(c.App.Writer, infos)
				}
				printFileInfos(c.App.Writer, infos, c.Bool("H"))
				return nil
			}
			return catFile(c, fs, id, path, fi.Size)
		},
	}
}

// catFile prints the file (its tail with -tail; following with -f).
func catFile(c *cli.Context, fs *api.AllocFS, id, path string, size int64) error {
	ctx := cmdContext(c)
	out := rawWriter(c.App.Writer)
	if !c.Bool("tail") && !c.Bool("f") {
		rc, err := fs.Cat(ctx, id, path)
		if err != nil {
			return agentError(c, "read "+path, err)
		}
		defer rc.Close()
		_, err = io.Copy(out, rc)
		return err
	}
	o := api.StreamOptions{Follow: c.Bool("f")}
	lines := c.Int64("n")
	if c.Bool("tail") {
		o.Origin = "end"
		switch {
		case c.Int64("c") >= 0:
			o.Offset = c.Int64("c")
			lines = -1
		default:
			if lines < 0 {
				lines = 10
			}
			o.Offset = min(size, 64<<10*max(1, lines/500+1))
		}
	}
	pr, pw := io.Pipe()
	go func() {
		err := fs.Stream(ctx, id, path, o, func(fr *api.StreamFrame) error {
			if fr.FileEvent != "" {
				fmt.Fprintf(c.App.ErrWriter, "nomadlike: %s: %s\n", path, fr.FileEvent)
				return nil
			}
			_, err := pw.Write(fr.Data)
			return err
		})
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	var err error
	if lines >= 0 {
		err = tailLines(out, pr, int(lines), o.Follow)
	} else {
		_, err = io.Copy(out, pr)
	}
	if err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
		return agentError(c, "stream "+path, err)
	}
	return nil
}

// printFileInfos writes Nomad's "Mode Size Modified Time Name" table.
func printFileInfos(w io.Writer, infos []*api.AllocFileInfo, human bool) {
	rows := make([][]string, 0, len(infos))
	for _, fi := range infos {
		name := fi.Name
		if fi.IsDir && name != "/" {
			name += "/"
		}
		size := strconv.FormatInt(fi.Size, 10)
		if human {
			size = humanSize(fi.Size)
		}
		rows = append(rows, []string{fi.FileMode, size, fi.ModTime.Format(time.RFC3339), name})
	}
	table(w, []string{"Mode", "Size", "Modified Time", "Name"}, rows)
}

// humanSize is n in B, KiB, MiB ... with one decimal.
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
