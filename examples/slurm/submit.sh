#!/bin/bash
# Queues labour's matrix as a Slurm job array (labour-array.sbatch) and the job that merges
# its shards (labour-merge.sbatch), which Slurm starts only once every task has succeeded.
# Usage: examples/slurm/submit.sh [labour matrix arguments, replacing the script's matrix]
# Both jobs write their logs and, unless LABOUR_RESULTS names another folder, their results
# (labour-results/) into the folder submit.sh is run from. SBATCH_* variables (e.g.
# SBATCH_PARTITION) override the scripts' #SBATCH lines.
set -euo pipefail
here=$(dirname "$0")

# --parsable prints "JOBID" or "JOBID;CLUSTER".
array=$(sbatch --parsable "$here/labour-array.sbatch" "$@")
array=${array%%;*}
merge=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes "$here/labour-merge.sbatch")
merge=${merge%%;*}
echo "labour: matrix job array $array, merge job $merge (starts once every task of $array has succeeded)"
