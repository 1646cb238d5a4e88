// Package allocdir builds and removes an allocation's directory tree, laid
// out as Nomad's (modes in brackets; everything belongs to the agent's user
// unless a driver hands a directory to the task's user):
//
//	<data_dir>/alloc/<alloc_id>/   [0755]
//	    alloc/            [0755] shared by the group's tasks
//	        data/         [0777] the ephemeral disk
//	        logs/         [0755] <task>.stdout.N, <task>.stderr.N, written by
//	                      the driver; tasks can read, not change, them
//	        tmp/          [1777]
//	    <task>/           [0755]
//	        local/        [0777] NOMAD_TASK_DIR
//	        secrets/      [0700] NOMAD_SECRETS_DIR
//	        tmp/          [1777]
//
// Build and BuildTask create and chmod the tree beneath the allocation
// directory's descriptor without following links (package drivers/beneath),
// so a link a task planted in a directory it can write to fails the build
// instead of redirecting a chmod to a host directory.
//
// It also confines paths that come from job files (template and artifact
// destinations) to the allocation directory: RelPath rejects "../"
// traversal, and Open's Dir refuses symbolic links when the file is opened.
// Resolve is the older check that follows links which stay inside.
package allocdir
