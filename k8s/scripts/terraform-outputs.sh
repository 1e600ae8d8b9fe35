#!/usr/bin/env bash
# Write the Terraform outputs that the prod overlay consumes into
# k8s/overlays/prod/terraform-outputs.env (then review and commit the file).
#
#   k8s/scripts/terraform-outputs.sh terraform/envs/prod
#
# Needs: terraform, initialised in that folder with its remote state; python3.
set -euo pipefail

env_dir="${1:?usage: $0 TERRAFORM_ENV_DIR (e.g. terraform/envs/prod)}"
repo_root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${OUT:-$repo_root/k8s/overlays/prod/terraform-outputs.env}"

terraform -chdir="$env_dir" output -json k8s_overlay_env |
  python3 -c '
import json, re, sys
values = json.load(sys.stdin)
required = ("APP_HOSTNAME", "AWS_REGION", "EKS_CLUSTER_NAME", "IMAGE_REPOSITORY", "APP_SECRET_NAME", "VPC_CIDR")
missing = [key for key in required if key not in values]
if missing:
    sys.exit("k8s_overlay_env lacks " + ", ".join(missing))
print("# Written by k8s/scripts/terraform-outputs.sh from the terraform output k8s_overlay_env.")
for key in required:
    value = str(values[key])
    if not re.fullmatch(r"[A-Za-z0-9./:_-]+", value):
        sys.exit(f"unexpected characters in {key}")
    print(f"{key}={value}")
' > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
