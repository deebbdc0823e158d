#!/usr/bin/env bash
# CI: synthesizes the CDK app (no AWS account or credentials needed; cdk-nag and cfn-guard with the AWS
# Control Tower rules fail the synthesis on any unacknowledged finding) and lints the CloudFormation template with cfn-lint from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cfn-lint >/dev/null 2>&1; then
  command -v python3 >/dev/null || { echo "cfn-lint needs Python 3 (python3 on PATH)"; exit 1; }
  python3 -m pip install --quiet --disable-pip-version-check cfn-lint
  # pip may put the script in the user's bin folder, or behind a pyenv shim that needs a rehash.
  export PATH="$HOME/.local/bin:$PATH"
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
  hash -r
fi
cfn-lint --version

started=$(date +%s%N)
npx cdk synth --quiet --no-notices
echo "cdk synth (with esbuild bundling): $(( ($(date +%s%N) - started) / 1000000 )) ms"

# W3005 is left out: aws-cdk-lib makes every Lambda function depend on its role explicitly, which
# cfn-lint reports as redundant with the role's GetAtt. Everything else, warnings included, fails.
cfn-lint --ignore-checks W3005 -- cdk.out/*.template.json
echo "cfn-lint: no errors, no warnings"
