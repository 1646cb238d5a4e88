// Package allocdir builds and removes an allocation's directory tree, laid
// out as Nomad's:
//
//	<data_dir>/alloc/<alloc_id>/
//	    alloc/            shared by the group's tasks
//	        data/         the ephemeral disk
//	        logs/         <task>.stdout.N, <task>.stderr.N
//	        tmp/
//	    <task>/
//	        local/        NOMAD_TASK_DIR
//	        secrets/      NOMAD_SECRETS_DIR (mode 0700)
//	        tmp/
//
// It also confines paths that come from job files (template and artifact
// destinations) to the allocation directory: Resolve rejects "../" traversal
// and symbolic links that point outside.
package allocdir
