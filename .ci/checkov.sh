#!/usr/bin/env bash
# CI: checkov on the synthesized CloudFormation templates, the default one and one with every opt-in,
# offline (--skip-download: no external checks, guidelines or platform calls). Each finding is fixed or
# acknowledged on its resource (Metadata.checkov.skip, written by lib/constructs/common/checker-findings.ts)
# with its reason; any other failed check fails this script, and so CI.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION=3.3.30
venv=".cache/checkov-$CHECKOV_VERSION"
# A virtual environment of its own: checkov pins many packages, cfn-lint among them, that would
# otherwise fight with the cfn-lint .ci/cfn-lint.sh installs.
if [ ! -x "$venv/bin/checkov" ]; then
  command -v python3 >/dev/null || { echo "checkov needs Python 3 (python3 on PATH)"; exit 1; }
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi
"$venv/bin/checkov" --version

# The same opt-ins as test/lib (OPT_INS): provisioned mode, destroy on removal, three zones by ID...
opt_ins=(-c minimumPollers=1 -c maximumPollers=2 -c destroyOnRemoval=true -c databaseMultiAz=true
  -c sqlClientCidrs=10.8.0.0/16 -c alarmEmail=ops@example.com -c zones=3
  -c availabilityZoneIds=euw1-az1,euw1-az2,euw1-az3)
# .ci/run synthesizes cdk.out first (.ci/cfn-lint.sh); run alone, this script does it.
if [ ! -f cdk.out/TreasuryStream.template.json ]; then npx cdk synth --quiet --no-notices; fi
npx cdk synth --quiet --no-notices -o .cache/cdk.out.opt-ins "${opt_ins[@]}"

for template in cdk.out/TreasuryStream.template.json .cache/cdk.out.opt-ins/TreasuryStream.template.json; do
  echo "checkov: $template"
  "$venv/bin/checkov" --framework cloudformation --skip-download --compact --quiet -f "$template"
done
echo "checkov: no unacknowledged finding"
