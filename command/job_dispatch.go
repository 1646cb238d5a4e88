package command

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func jobDispatchCommand() *cli.Command {
	return &cli.Command{
		Name:      "dispatch",
		Usage:     "Run a parameterized job once, with a payload and metadata",
		ArgsUsage: "JOB [INPUT_FILE|-]",
		Description: "Creates a child job JOB/dispatch-<time>-<id> from the parameterized job JOB,\n" +
			"with the metadata of -meta and the payload read from INPUT_FILE (- reads stdin),\n" +
			"then monitors its evaluation like job run. The job's parameterized block says\n" +
			"whether a payload is required, optional or forbidden and which meta keys are\n" +
			"required or allowed; the payload is written to each task's dispatch_payload file.\n" +
			"Exit 0 when every allocation was placed, 2 when some could not be. With -wait it\n" +
			"then waits for the child's outcome like job wait (0 succeeded, 3 failed, 4 stopped).",
		Flags: []cli.Flag{addressFlag(),
			&cli.GenericFlag{Name: "meta", Usage: "dispatch metadata `KEY=VALUE` (repeatable)", Value: &repeatedFlag{}},
			&cli.StringFlag{Name: "id-prefix-template", Usage: "put `TEMPLATE` in the child's ID: JOB/dispatch-TEMPLATE-<time>-<id>"},
			&cli.BoolFlag{Name: "detach", Usage: "print the dispatched job and evaluation IDs and return"},
			verboseFlag(),
			waitFlags(true)[0], waitFlags(true)[1], // batch and CI (job_wait.go)
		},
		Action: jobDispatchAction,
	}
}

func jobDispatchAction(c *cli.Context) error {
	if c.NArg() < 1 || c.NArg() > 2 {
		return userError("job dispatch takes the job ID and, optionally, an input file (- for stdin); got %d arguments", c.NArg())
	}
	meta := map[string]string{}
	for _, kv := range repeated(c, "meta") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return userError("-meta %q: want KEY=VALUE", kv)
		}
		meta[k] = v
	}
	var payload []byte
	if c.NArg() == 2 {
		var err error
		if payload, err = readPayload(c, c.Args().Get(1)); err != nil {
			return err
		}
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	ctx := cmdContext(c)
	id, err := resolveJob(ctx, client, c.Args().First())
	if err != nil {
		return err
	}
	resp, _, err := client.Jobs().Dispatch(ctx, id, meta, payload, c.String("id-prefix-template"), nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("dispatch job %q", id), err)
	}
	w := c.App.Writer
	verbose := c.Bool("verbose")
	kv(w, [][2]string{{"Dispatched Job ID", resp.DispatchedJobID}, {"Evaluation ID", shortID(resp.EvalID, verbose)}})
	if c.Bool("detach") {
		return nil
	}
	fmt.Fprintln(w)
	return monitorThenWait(c, client, resp.DispatchedJobID, resp.EvalID) // -wait: job_wait.go
}

// readPayload reads the dispatch payload from path, or stdin for "-". A
// payload over the servers' limit is refused here, before it is sent.
func readPayload(c *cli.Context, path string) ([]byte, error) {
	var r io.Reader
	if path == stdinJobFile {
		r = c.App.Reader
		if r == nil {
			r = os.Stdin
		}
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, userError("read input file: %v", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, nomadlike.DispatchPayloadSizeLimit+1))
	if err != nil {
		return nil, userError("read input %s: %v", path, err)
	}
	if len(b) > nomadlike.DispatchPayloadSizeLimit {
		return nil, userError("input %s: the payload is larger than the limit of %d bytes", path, nomadlike.DispatchPayloadSizeLimit)
	}
	return b, nil
}
