package command

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// The acl command: Nomad's `nomad acl bootstrap | policy | token`. Every
// subcommand takes -address and -token (NOMADLIKE_TOKEN, NOMAD_TOKEN).

func aclCommand() *cli.Command {
	return &cli.Command{
		Name:  "acl",
		Usage: "Manage ACL tokens and policies",
		Subcommands: []*cli.Command{
			{
				Name:   "bootstrap",
				Usage:  "Create the first management token (once; see the acl-bootstrap-reset file)",
				Flags:  aclFlags(jsonFlag()),
				Action: aclBootstrap,
			},
			aclPolicyCommand(),
			aclTokenCommand(),
		},
	}
}

// aclFlags are -address and -token, then more.
func aclFlags(more ...cli.Flag) []cli.Flag {
	return append([]cli.Flag{addressFlag(), tokenFlag()}, more...)
}

func aclPolicyCommand() *cli.Command {
	return &cli.Command{
		Name:  "policy",
		Usage: "Manage ACL policies",
		Subcommands: []*cli.Command{{
			Name:      "apply",
			Usage:     "Create or update an ACL policy from a file of rules (\"-\" reads stdin)",
			ArgsUsage: "NAME FILE",
			Flags:     aclFlags(&cli.StringFlag{Name: "description", Usage: "the policy's description"}),
			Action:    aclPolicyApply,
		}, {
			Name:   "list",
			Usage:  "List ACL policies",
			Flags:  aclFlags(jsonFlag()),
			Action: aclPolicyList,
		}, {
			Name:      "info",
			Usage:     "Show an ACL policy and its rules",
			ArgsUsage: "NAME",
			Flags:     aclFlags(jsonFlag()),
			Action:    aclPolicyInfo,
		}, {
			Name:      "delete",
			Usage:     "Delete an ACL policy",
			ArgsUsage: "NAME",
			Flags:     aclFlags(),
			Action:    aclPolicyDelete,
		}},
	}
}

func aclTokenCommand() *cli.Command {
	tokenFields := func() []cli.Flag {
		return []cli.Flag{
			&cli.StringFlag{Name: "name", Usage: "the token's name"},
			&cli.StringFlag{Name: "type", Usage: "client or management"},
			&cli.StringSliceFlag{Name: "policy", Usage: "a policy of the token (repeat for more)"},
		}
	}
	return &cli.Command{
		Name:  "token",
		Usage: "Manage ACL tokens",
		Subcommands: []*cli.Command{{
			Name:  "create",
			Usage: "Create an ACL token (its secret is shown only now)",
			Flags: aclFlags(append(tokenFields(),
				&cli.BoolFlag{Name: "global", Usage: "mark the token global (kept; there is one region)"},
				&cli.DurationFlag{Name: "ttl", Usage: "expire the token after this long (e.g. 8h)"},
				jsonFlag())...),
			Action: aclTokenCreate,
		}, {
			Name:   "list",
			Usage:  "List ACL tokens",
			Flags:  aclFlags(jsonFlag()),
			Action: aclTokenList,
		}, {
			Name:      "info",
			Usage:     "Show an ACL token",
			ArgsUsage: "ACCESSOR_ID",
			Flags:     aclFlags(jsonFlag()),
			Action:    aclTokenInfo,
		}, {
			Name:   "self",
			Usage:  "Show the token given with -token",
			Flags:  aclFlags(jsonFlag()),
			Action: aclTokenSelf,
		}, {
			Name:      "update",
			Usage:     "Change an ACL token's name, type or policies",
			ArgsUsage: "ACCESSOR_ID",
			Flags:     aclFlags(append(tokenFields(), jsonFlag())...),
			Action:    aclTokenUpdate,
		}, {
			Name:      "delete",
			Usage:     "Delete an ACL token",
			ArgsUsage: "ACCESSOR_ID",
			Flags:     aclFlags(),
			Action:    aclTokenDelete,
		}},
	}
}

// aclClient returns the API client and, when arg names one, the
// command's only argument (else a usage error).
func aclClient(c *cli.Context, arg string) (*api.Client, string, error) {
	if arg != "" && (c.NArg() != 1 || c.Args().First() == "") {
		return nil, "", userError("this command takes one argument: %s", arg)
	}
	if arg == "" && c.NArg() != 0 {
		return nil, "", userError("this command takes no arguments")
	}
	client, err := apiClient(c)
	return client, c.Args().First(), err
}

func aclBootstrap(c *cli.Context) error {
	client, _, err := aclClient(c, "")
	if err != nil {
		return err
	}
	tok, _, err := client.ACLTokens().Bootstrap(cmdContext(c), "", nil)
	if err != nil {
		return agentError(c, "bootstrap ACLs", err)
	}
	return printToken(c, tok)
}

func aclPolicyApply(c *cli.Context) error {
	if c.NArg() != 2 {
		return userError("acl policy apply takes two arguments: NAME FILE")
	}
	name, file := c.Args().Get(0), c.Args().Get(1)
	var rules []byte
	var err error
	if file == "-" {
		var in io.Reader = os.Stdin
		if c.App.Reader != nil {
			in = c.App.Reader
		}
		rules, err = io.ReadAll(io.LimitReader(in, 1<<20))
	} else {
		rules, err = os.ReadFile(file)
	}
	if err != nil {
		return userError("read policy rules: %v", err)
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	p := &nomadlike.ACLPolicy{Name: name, Description: c.String("description"), Rules: string(rules)}
	if _, err := client.ACLPolicies().Upsert(cmdContext(c), p, nil); err != nil {
		return agentError(c, "write ACL policy", err)
	}
	fmt.Fprintf(c.App.Writer, "Successfully wrote %q ACL policy!\n", name)
	return nil
}

func aclPolicyList(c *cli.Context) error {
	client, _, err := aclClient(c, "")
	if err != nil {
		return err
	}
	policies, _, err := client.ACLPolicies().List(cmdContext(c), nil)
	if err != nil {
		return agentError(c, "list ACL policies", err)
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, policies)
	}
	if len(policies) == 0 {
		fmt.Fprintln(c.App.Writer, "No policies found")
		return nil
	}
	rows := make([][]string, 0, len(policies))
	for _, p := range policies {
		rows = append(rows, []string{p.Name, p.Description})
	}
	table(c.App.Writer, []string{"Name", "Description"}, rows)
	return nil
}

func aclPolicyInfo(c *cli.Context) error {
	client, name, err := aclClient(c, "NAME")
	if err != nil {
		return err
	}
	p, _, err := client.ACLPolicies().Info(cmdContext(c), name, nil)
	if err != nil {
		return agentError(c, "read ACL policy", err)
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, p)
	}
	kv(c.App.Writer, [][2]string{
		{"Name", p.Name},
		{"Description", orNone(p.Description)},
		{"CreateIndex", fmt.Sprint(p.CreateIndex)},
		{"ModifyIndex", fmt.Sprint(p.ModifyIndex)},
	})
	fmt.Fprintf(c.App.Writer, "\nRules\n\n%s\n", strings.TrimRight(p.Rules, "\n"))
	return nil
}

func aclPolicyDelete(c *cli.Context) error {
	client, name, err := aclClient(c, "NAME")
	if err != nil {
		return err
	}
	if _, err := client.ACLPolicies().Delete(cmdContext(c), name, nil); err != nil {
		return agentError(c, "delete ACL policy", err)
	}
	fmt.Fprintf(c.App.Writer, "Successfully deleted %q ACL policy!\n", name)
	return nil
}

func aclTokenCreate(c *cli.Context) error {
	typ := c.String("type")
	if typ == "" {
		typ = nomadlike.ACLTokenTypeClient
	}
	t := &nomadlike.ACLToken{Name: c.String("name"), Type: typ, Policies: c.StringSlice("policy"),
		Global: c.Bool("global"), ExpirationTTL: c.Duration("ttl")}
	client, _, err := aclClient(c, "")
	if err != nil {
		return err
	}
	out, _, err := client.ACLTokens().Create(cmdContext(c), t, nil)
	if err != nil {
		return agentError(c, "create ACL token", err)
	}
	return printToken(c, out)
}

func aclTokenList(c *cli.Context) error {
	client, _, err := aclClient(c, "")
	if err != nil {
		return err
	}
	tokens, _, err := client.ACLTokens().List(cmdContext(c), nil)
	if err != nil {
		return agentError(c, "list ACL tokens", err)
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, tokens)
	}
	if len(tokens) == 0 {
		fmt.Fprintln(c.App.Writer, "No tokens found")
		return nil
	}
	now := time.Now()
	rows := make([][]string, 0, len(tokens))
	for _, t := range tokens {
		expired := t.ExpirationTime != nil && !now.Before(*t.ExpirationTime)
		rows = append(rows, []string{t.Name, t.Type, fmt.Sprint(t.Global), t.AccessorID, fmt.Sprint(expired)})
	}
	table(c.App.Writer, []string{"Name", "Type", "Global", "Accessor ID", "Expired"}, rows)
	return nil
}

func aclTokenInfo(c *cli.Context) error {
	client, id, err := aclClient(c, "ACCESSOR_ID")
	if err != nil {
		return err
	}
	t, _, err := client.ACLTokens().Info(cmdContext(c), id, nil)
	if err != nil {
		return agentError(c, "read ACL token", err)
	}
	return printToken(c, t)
}

func aclTokenSelf(c *cli.Context) error {
	client, _, err := aclClient(c, "")
	if err != nil {
		return err
	}
	t, _, err := client.ACLTokens().Self(cmdContext(c), nil)
	if err != nil {
		return agentError(c, "read own ACL token", err)
	}
	return printToken(c, t)
}

func aclTokenUpdate(c *cli.Context) error {
	client, id, err := aclClient(c, "ACCESSOR_ID")
	if err != nil {
		return err
	}
	t, _, err := client.ACLTokens().Info(cmdContext(c), id, nil)
	if err != nil {
		return agentError(c, "read ACL token", err)
	}
	if c.IsSet("name") {
		t.Name = c.String("name")
	}
	if c.IsSet("type") {
		t.Type = c.String("type")
	}
	if c.IsSet("policy") {
		t.Policies = c.StringSlice("policy")
	}
	if t.Type == nomadlike.ACLTokenTypeManagement && !c.IsSet("policy") {
		t.Policies = nil
	}
	out, _, err := client.ACLTokens().Update(cmdContext(c), t, nil)
	if err != nil {
		return agentError(c, "update ACL token", err)
	}
	return printToken(c, out)
}

func aclTokenDelete(c *cli.Context) error {
	client, id, err := aclClient(c, "ACCESSOR_ID")
	if err != nil {
		return err
	}
	if _, err := client.ACLTokens().Delete(cmdContext(c), id, nil); err != nil {
		return agentError(c, "delete ACL token", err)
	}
	fmt.Fprintf(c.App.Writer, "Token %s successfully deleted\n", id)
	return nil
}

// printToken prints a token as Nomad's CLI does (or as JSON with -json).
// The servers keep only a hash of the secret, so the Secret ID is shown
// only by the commands that create a token.
func printToken(c *cli.Context, t *nomadlike.ACLToken) error {
	if c.Bool("json") {
		return printJSON(c.App.Writer, t)
	}
	kv(c.App.Writer, tokenPairs(t))
	return nil
}

func tokenPairs(t *nomadlike.ACLToken) [][2]string {
	secret := t.SecretID
	if secret == "" {
		secret = "<hidden>"
	}
	expiry := "<never>"
	if t.ExpirationTime != nil {
		expiry = t.ExpirationTime.UTC().String()
	}
	policies := "n/a"
	if len(t.Policies) > 0 {
		policies = "[" + strings.Join(t.Policies, " ") + "]"
	}
	return [][2]string{
		{"Accessor ID", t.AccessorID},
		{"Secret ID", secret},
		{"Name", t.Name},
		{"Type", t.Type},
		{"Global", fmt.Sprint(t.Global)},
		{"Create Time", t.CreateTime.UTC().String()},
		{"Expiry Time", expiry},
		{"Create Index", fmt.Sprint(t.CreateIndex)},
		{"Modify Index", fmt.Sprint(t.ModifyIndex)},
		{"Policies", policies},
		{"Roles", "n/a"},
	}
}
