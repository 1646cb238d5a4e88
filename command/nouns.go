package command

// The nouns are filled in by their own files (job.go, alloc.go, node.go,
// ...); each new subcommand is added to its noun's Subcommands list.
