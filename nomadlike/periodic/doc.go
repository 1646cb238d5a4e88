// Package periodic reads the cron schedule of periodic jobs: it validates a
// job's periodic block (the server does on register, so a bad spec is a 400
// naming Periodic.Spec) and computes the next launch time in the block's
// time zone. The servers' launcher and the CLI (the next launch shown by
// job status) share it. Standard library and hashicorp/cronexpr only.
package periodic
