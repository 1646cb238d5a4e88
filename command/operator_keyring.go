package command

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// operatorRootCommand is `operator root keyring list|rotate`, as Nomad's.
func operatorRootCommand() *cli.Command {
	return &cli.Command{
		Name:  "root",
		Usage: "Manage the root keys that encrypt variables and sign workload identities",
		Subcommands: []*cli.Command{{
			Name:  "keyring",
			Usage: "Manage the root keyring",
			Subcommands: []*cli.Command{
				{
					Name: "list", Usage: "List the root keys",
					Flags:  []cli.Flag{addressFlag(), tokenFlag(), jsonFlag(), verboseFlag()},
					Action: rootKeyringList,
				},
				{
					Name: "rotate", Usage: "Make a new active root key (the old ones still decrypt)",
					Flags: []cli.Flag{addressFlag(), tokenFlag(), verboseFlag(),
						&cli.BoolFlag{Name: "full", Usage: "also re-encrypt every variable with the new key, in the background"}},
					Action: rootKeyringRotate,
				},
			},
		}},
	}
}

func rootKeyringList(c *cli.Context) error {
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	var keys []nomadlike.RootKeyMeta
	if _, err := client.Query(cmdContext(c), "/v1/operator/keyring/keys", &keys, nil); err != nil {
		return agentError(c, "list root keys", err)
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, keys)
	}
	rows := make([][]string, 0, len(keys))
	for _, k := range keys {
		id := k.KeyID
		if !c.Bool("verbose") && len(id) > 8 {
			id = id[:8]
		}
		rows = append(rows, []string{id, k.State, time.Unix(0, k.CreateTime).UTC().Format(time.RFC3339)})
	}
	table(c.App.Writer, []string{"Key", "State", "Create Time"}, rows)
	return nil
}

func rootKeyringRotate(c *cli.Context) error {
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	q := &api.QueryOptions{Params: map[string]string{}}
	if c.Bool("full") {
		q.Params["full"] = strconv.FormatBool(true)
	}
	var out struct {
		Key *nomadlike.RootKeyMeta `json:"Key"`
	}
	if _, err := client.Write(cmdContext(c), http.MethodPut, "/v1/operator/keyring/rotate", nil, &out, q); err != nil {
		return agentError(c, "rotate root key", err)
	}
	if out.Key == nil {
		return fmt.Errorf("rotate root key: the agent answered no key")
	}
	table(c.App.Writer, []string{"Key", "State", "Create Time"},
		[][]string{{out.Key.KeyID, out.Key.State, time.Unix(0, out.Key.CreateTime).UTC().Format(time.RFC3339)}})
	return nil
}
