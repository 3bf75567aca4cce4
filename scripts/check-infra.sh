#!/usr/bin/env bash
# Checks the deployable description of the application without deploying it:
#   - cfn-lint (with the cfn-lint-serverless rules), `sam validate --lint` and checkov on
#     template.yaml, with zero findings: the few checks that do not apply are skipped below by
#     ID, each with its reason;
#   - every statemachine/*.asl.json: placeholders match the template's DefinitionSubstitutions,
#     valid JSON before and after substitution, statelint on both forms;
#   - every events/*.json parses; API events have the API Gateway REST proxy shape and cover
#     every route of the template; every handler binary has at least one sample event;
#   - IAM stays least-privilege (no wildcard actions, "*" resources only for log delivery) and
#     every function logs JSON to its own log group kept LogRetentionDays;
#   - the hardening the skipped checks cannot see: every log group kept LogRetentionDays, API
#     access logs as JSON, every queue encrypted, queue policies scoped to one source ARN, and
#     asynchronously invoked functions with an on-failure destination and a rule dead-letter queue;
#   - the README shows a curl command for every route;
#   - statemachine/tests runs the three machines on moto's ASL interpreter.
# Every check runs; the script exits 1 if any of them failed.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bin="$root/.venv/bin"

# sam validate needs a region and credentials even though --lint never calls AWS.
export SAM_CLI_TELEMETRY=0
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$AWS_REGION}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_PAGER=""

for tool in python cfn-lint sam statelint; do
  if [ ! -x "$bin/$tool" ]; then
    echo "check-infra: $bin/$tool is missing (install requirements-dev.txt into .venv)" >&2
    exit 1
  fi
done
if ! "$bin/python" -c 'import cfn_lint_serverless' 2>/dev/null; then
  echo "check-infra: cfn-lint-serverless is missing (install requirements-dev.txt into .venv)" >&2
  exit 1
fi

# checkov pins boto3 exactly (3.3.30: boto3==1.35.49), and so do the SAM CLI (boto3[crt]==1.43.108)
# and the aws CLI (botocore): no single environment satisfies both, so checkov gets its own
# virtualenv inside .venv, from requirements-checkov.txt. With the pin already installed pip
# does not go to the network.
checkov_env="$root/.venv/checkov"
if [ ! -x "$checkov_env/bin/python" ] && ! "$bin/python" -m venv "$checkov_env"; then
  echo "check-infra: cannot create $checkov_env" >&2
  exit 1
fi
if ! "$checkov_env/bin/pip" install -q --disable-pip-version-check -r requirements-checkov.txt; then
  echo "check-infra: pip could not install requirements-checkov.txt into $checkov_env" >&2
  exit 1
fi

failures=()
run() {
  local label="$1"
  shift
  printf -- '--- %s\n' "$label"
  if "$@"; then
    printf 'ok: %s\n' "$label"
  else
    printf 'FAILED: %s\n' "$label" >&2
    failures+=("$label")
  fi
}

# Cross-file consistency, in Python because it needs a CloudFormation-aware YAML reader
# (cfn-lint's) and JSON. Writes the substituted state machines into $rendered for statelint.
consistency() {
  "$bin/python" - "$root" "$rendered" <<'PY'
import glob
import json
import os
import re
import sys

from cfnlint.decode import cfn_yaml

root, rendered = sys.argv[1], sys.argv[2]
errors = []


def err(msg):
    errors.append(msg)
    print("  error: " + msg)


template = cfn_yaml.load(os.path.join(root, "template.yaml"))
params = template.get("Parameters", {})
resources = template["Resources"]
REGION, ACCOUNT = "us-east-1", "123456789012"
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def physical(name):
    return "sfn-patterns-" + name + "-1A2B3C4D5E6F"


def render(value, where):
    """A plausible deployed value for one DefinitionSubstitutions entry."""
    if isinstance(value, (str, int, float)):
        return str(value)
    if "Ref" in value:
        name = value["Ref"]
        if name in params:
            if "Default" not in params[name]:
                err(where + ": parameter " + name + " has no Default (the local runtime needs one)")
                return "0"
            return str(params[name]["Default"])
        kind = resources.get(name, {}).get("Type")
        if kind == "AWS::Serverless::StateMachine":
            return "arn:aws:states:%s:%s:stateMachine:%s" % (REGION, ACCOUNT, physical(name))
        if kind:
            return physical(name)
        err(where + ": !Ref " + name + " names nothing in the template")
        return "x"
    if "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        name, attr = target if isinstance(target, list) else target.split(".", 1)
        kind = resources.get(name, {}).get("Type")
        if kind == "AWS::Serverless::Function" and attr == "Arn":
            return "arn:aws:lambda:%s:%s:function:%s" % (REGION, ACCOUNT, physical(name))
        if kind == "AWS::DynamoDB::Table" and attr == "Arn":
            return "arn:aws:dynamodb:%s:%s:table/%s" % (REGION, ACCOUNT, physical(name))
        if kind:
            return physical(name)
        err(where + ": !GetAtt " + name + " names nothing in the template")
        return "x"
    err(where + ": cannot render " + json.dumps(value))
    return "x"


functions = {n: r for n, r in resources.items() if r.get("Type") == "AWS::Serverless::Function"}
binaries = {}
for name, fn in functions.items():
    meta = fn.get("Metadata", {})
    b = meta.get("BuildProperties", {}).get("Binary")
    if meta.get("BuildMethod") != "rust-cargolambda" or not b:
        err(name + ": needs Metadata BuildMethod rust-cargolambda and BuildProperties.Binary")
        continue
    if fn.get("Properties", {}).get("CodeUri") != ".":
        err(name + ": CodeUri must be . (the workspace root)")
    binaries[name] = b

# Least privilege: no wildcard actions; "*" resources only for actions that have no
# resource-level scope (CloudWatch Logs delivery for state machine logging).
def statements(policy):
    if isinstance(policy, dict) and "Fn::If" in policy:
        for branch in policy["Fn::If"][1:]:
            yield from statements(branch)
    elif isinstance(policy, dict) and "Statement" in policy:
        yield from policy["Statement"]


def policy_statements(policy):
    """Statements of a SAM Policies item or of an IAM role's inline policy."""
    if isinstance(policy, dict) and "PolicyDocument" in policy:
        yield from policy["PolicyDocument"].get("Statement", [])
    else:
        yield from statements(policy)


# AWS managed policies a role may carry (by name after "policy/"), each for a stated reason.
ALLOWED_MANAGED_POLICIES = {
    # API Gateway's account-level role: the CloudWatch Logs actions stage logging needs.
    "service-role/AmazonAPIGatewayPushToCloudWatchLogs",
}
for name, r in sorted(resources.items()):
    if r.get("Type") != "AWS::IAM::Role":
        continue
    for arn in r.get("Properties", {}).get("ManagedPolicyArns", []) or []:
        text = arn.get("Fn::Sub") if isinstance(arn, dict) else arn
        if not isinstance(text, str) or text.split(":policy/", 1)[-1] not in ALLOWED_MANAGED_POLICIES:
            err(name + ": managed policy " + json.dumps(arn) + " is not one this stack allows")

for name, r in sorted(resources.items()):
    if r.get("Type") not in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine", "AWS::IAM::Role"):
        continue
    for policy in r.get("Properties", {}).get("Policies", []) or []:
        if isinstance(policy, str):
            err(name + ": managed policy " + policy + " is broader than this stack needs")
        for st in policy_statements(policy):
            actions = st.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            for action in actions:
                if action == "*" or action.endswith(":*"):
                    err(name + ": wildcard action " + action)
            if st.get("Resource") == "*" and any(not a.startswith("logs:") for a in actions):
                err(name + ": Resource * for " + ", ".join(actions))

# Every function logs (JSON) to its own log group, kept LogRetentionDays.
for name, fn in sorted(functions.items()):
    logging = fn.get("Properties", {}).get("LoggingConfig", {})
    group = logging.get("LogGroup", {})
    target = resources.get(group.get("Ref") if isinstance(group, dict) else None, {})
    if logging.get("LogFormat") != "JSON" or target.get("Type") != "AWS::Logs::LogGroup":
        err(name + ": LoggingConfig needs LogFormat JSON and LogGroup: !Ref <an AWS::Logs::LogGroup>")
    elif target.get("Properties", {}).get("RetentionInDays") != {"Ref": "LogRetentionDays"}:
        err(name + ": its log group must keep logs LogRetentionDays")

# --- hardening: what the checks skipped by ID (below the Python) are after, done this template's way.
def getatt_arn(v):
    """!GetAtt X.Arn -> X (else None)."""
    if isinstance(v, dict) and "Fn::GetAtt" in v:
        t = v["Fn::GetAtt"]
        res, att = t if isinstance(t, list) else t.split(".", 1)
        return res if att == "Arn" else None
    return None


# Every log group is kept LogRetentionDays and goes with the stack.
for name, r in sorted(resources.items()):
    if r.get("Type") != "AWS::Logs::LogGroup":
        continue
    if r.get("Properties", {}).get("RetentionInDays") != {"Ref": "LogRetentionDays"}:
        err(name + ": a log group keeps logs LogRetentionDays")
    if r.get("DeletionPolicy") != "Delete" or r.get("UpdateReplacePolicy") != "Delete":
        err(name + ": a log group has DeletionPolicy and UpdateReplacePolicy Delete")

# API stages write access logs as JSON to a log group of the stack, and never the key itself.
ACCESS_LOG_FIELDS = ("requestId", "ip", "caller", "apiKeyId", "requestTime", "httpMethod",
                     "resourcePath", "status", "protocol", "responseLength")
for name, r in sorted(resources.items()):
    if r.get("Type") != "AWS::Serverless::Api":
        continue
    setting = r.get("Properties", {}).get("AccessLogSetting") or {}
    group = getatt_arn(setting.get("DestinationArn"))
    if resources.get(group, {}).get("Type") != "AWS::Logs::LogGroup":
        err(name + ": AccessLogSetting.DestinationArn must be !GetAtt <an AWS::Logs::LogGroup>.Arn")
    fmt = setting.get("Format")
    if not isinstance(fmt, str):
        err(name + ": AccessLogSetting.Format must be a plain string")
        continue
    if re.search(r"\$context\.identity\.apiKey(?!Id)", fmt):
        err(name + ": the access log must not contain the API key itself (log apiKeyId)")
    # Every value quoted: API Gateway writes - for a missing value, which would break bare numbers.
    try:
        record = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "x", fmt))
    except ValueError as e:
        err(name + ": AccessLogSetting.Format is not one JSON object with every value quoted: " + str(e))
        continue
    for field in ACCESS_LOG_FIELDS:
        if field not in record:
            err(name + ": the access log has no " + field + " field")

# Every queue is encrypted (checkov's CKV_AWS_27 only reads KmsMasterKeyId).
queues = {n for n, r in resources.items() if r.get("Type") == "AWS::SQS::Queue"}
for name in sorted(queues):
    p = resources[name].get("Properties", {})
    if p.get("SqsManagedSseEnabled") is not True and not p.get("KmsMasterKeyId"):
        err(name + ": encrypt the queue (SqsManagedSseEnabled: true or KmsMasterKeyId)")

# Queue policies let AWS services in only, one action, from one source ARN.
queue_senders = {}  # queue -> resources whose ARN may send to it
for name, r in sorted(resources.items()):
    if r.get("Type") != "AWS::SQS::QueuePolicy":
        continue
    props = r.get("Properties", {})
    targets = [q.get("Ref") if isinstance(q, dict) else q for q in props.get("Queues", [])]
    for st in props.get("PolicyDocument", {}).get("Statement", []):
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if st.get("Effect") != "Allow":
            continue
        if any(a == "*" or a.endswith(":*") for a in actions):
            err(name + ": wildcard action in a queue policy")
        principal = st.get("Principal")
        if not isinstance(principal, dict) or set(principal) != {"Service"}:
            err(name + ": a queue policy lets in AWS service principals only")
        source = getatt_arn((st.get("Condition") or {}).get("ArnEquals", {}).get("aws:SourceArn"))
        if source is None:
            err(name + ": every Allow needs Condition ArnEquals aws:SourceArn: !GetAtt <resource>.Arn")
        for q in targets:
            queue_senders.setdefault(q, set()).add(source)

# Asynchronously invoked functions: a dead-letter queue on each rule target (EventBridge could not
# invoke), an on-failure destination (the function failed), one mechanism each.
ASYNC_EVENTS = ("EventBridgeRule", "CloudWatchEvent", "Schedule", "SNS", "S3")
for name, fn in sorted(functions.items()):
    props = fn.get("Properties", {})
    events = {k: v for k, v in (props.get("Events") or {}).items() if v.get("Type") in ASYNC_EVENTS}
    if not events:
        continue
    on_failure = ((props.get("EventInvokeConfig") or {}).get("DestinationConfig") or {}).get("OnFailure") or {}
    if on_failure.get("Type") != "SQS" or getatt_arn(on_failure.get("Destination")) not in queues:
        err(name + ": invoked asynchronously; needs EventInvokeConfig.DestinationConfig.OnFailure Type SQS, Destination !GetAtt <a queue>.Arn")
    if "DeadLetterQueue" in props:
        err(name + ": DeadLetterQueue and an on-failure destination both set; the destination carries more and suffices")
    for ev_name, ev in sorted(events.items()):
        if ev["Type"] not in ("EventBridgeRule", "CloudWatchEvent"):
            continue
        p = ev.get("Properties", {})
        if not p.get("RetryPolicy"):
            err(name + ".Events." + ev_name + ": needs a RetryPolicy")
        dlq = getatt_arn((p.get("DeadLetterConfig") or {}).get("Arn"))
        rule = name + ev_name  # the logical id SAM gives the rule
        if dlq not in queues:
            err(name + ".Events." + ev_name + ": needs DeadLetterConfig.Arn: !GetAtt <a queue>.Arn")
        elif queue_senders.get(dlq) != {rule}:
            err(dlq + ": needs an AWS::SQS::QueuePolicy letting in only aws:SourceArn !GetAtt " + rule + ".Arn")

# Environment variable names are part of docs/contracts.md.
contracts = open(os.path.join(root, "docs", "contracts.md")).read()
for name, fn in functions.items():
    env = fn.get("Properties", {}).get("Environment", {}).get("Variables", {})
    for var in env:
        if var != "RUST_LOG" and "`" + var + "`" not in contracts:
            err(name + ": environment variable " + var + " is not in docs/contracts.md")

# --- state machines ------------------------------------------------------------------------
payload_keys = {}  # binary -> set of keys the state machines send it
machines = {n: r for n, r in resources.items() if r.get("Type") == "AWS::Serverless::StateMachine"}
if not machines:
    err("no AWS::Serverless::StateMachine in template.yaml")
seen_files = set()
for name, sm in sorted(machines.items()):
    props = sm.get("Properties", {})
    uri = props.get("DefinitionUri")
    if not isinstance(uri, str) or not os.path.isfile(os.path.join(root, uri)):
        err(name + ": DefinitionUri " + repr(uri) + " is not a file of this repository")
        continue
    seen_files.add(os.path.normpath(uri))
    raw = open(os.path.join(root, uri)).read()
    subs = props.get("DefinitionSubstitutions", {})
    used = set(PLACEHOLDER.findall(raw))
    for p in sorted(used - set(subs)):
        err(uri + ": ${" + p + "} has no DefinitionSubstitutions entry in " + name)
    for p in sorted(set(subs) - used):
        err(name + ": DefinitionSubstitutions." + p + " is never used by " + uri)
    try:
        json.loads(raw)
    except ValueError as e:
        err(uri + ": not valid JSON before substitution: " + str(e))
    values = {k: render(v, name + ".DefinitionSubstitutions." + k) for k, v in subs.items()}
    text = PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), raw)
    try:
        definition = json.loads(text)
    except ValueError as e:
        err(uri + ": not valid JSON after substitution: " + str(e))
        continue
    with open(os.path.join(rendered, os.path.basename(uri)), "w") as out:
        out.write(text)
    # Which function gets which payload keys, as the Task states build them.
    arn_to_binary = {}
    for k, v in subs.items():
        if isinstance(v, dict) and "Fn::GetAtt" in v:
            target = v["Fn::GetAtt"]
            fn_name = target[0] if isinstance(target, list) else target.split(".", 1)[0]
            if fn_name in binaries:
                arn_to_binary[values[k]] = binaries[fn_name]
    for state_name, state in definition.get("States", {}).items():
        if state.get("Type") != "Task" or not str(state.get("Resource", "")).startswith("arn:aws:states:::lambda:invoke"):
            continue
        # JSONPath states name the function in Parameters; JSONata states in Arguments, where
        # FunctionName may be an expression that picks one of several (each written out).
        parameters = state.get("Arguments") or state.get("Parameters") or {}
        function = str(parameters.get("FunctionName", ""))
        targets = sorted({b for arn, b in arn_to_binary.items() if arn == function or (function.startswith("{%") and arn in function)})
        if not targets:
            err(uri + ": state " + state_name + " invokes a function that is not in the template")
            continue
        payload = parameters.get("Payload")
        if isinstance(payload, dict):
            keys = {k[:-2] if k.endswith(".$") else k for k in payload}
            for b in targets:
                if payload_keys.setdefault(b, keys) != keys:
                    err(b + ": the state machines send it different payloads")
for f in sorted(glob.glob(os.path.join(root, "statemachine", "*.asl.json"))):
    rel = os.path.relpath(f, root)
    if os.path.normpath(rel) not in seen_files:
        err(rel + ": no state machine in template.yaml uses it")

# --- API routes and events -----------------------------------------------------------------
routes = {}  # (METHOD, path) -> binary
for name, fn in functions.items():
    for ev_name, ev in fn.get("Properties", {}).get("Events", {}).items():
        if ev.get("Type") == "Api":
            p = ev.get("Properties", {})
            routes[(p["Method"].upper(), p["Path"])] = binaries.get(name)

covered = set()
with_events = set()
for f in sorted(glob.glob(os.path.join(root, "events", "*.json"))):
    rel = os.path.relpath(f, root)
    try:
        event = json.load(open(f))
    except ValueError as e:
        err(rel + ": not valid JSON: " + str(e))
        continue
    base = os.path.basename(f)[: -len(".json")]
    b = base.split(".", 1)[0]
    if b not in binaries.values():
        if os.path.isdir(os.path.join(root, "crates", b)):
            # A crate's events before its function is in the template: parsed, not routed.
            print("  note: " + rel + ": handler " + b + " is not in template.yaml; only parsed")
        else:
            err(rel + ": the name should start with a handler binary (" + ", ".join(sorted(binaries.values())) + ")")
        continue
    with_events.add(b)
    if not isinstance(event, dict):
        err(rel + ": an event is a JSON object")
        continue
    if "httpMethod" in event:
        for key in ("resource", "path", "httpMethod", "headers", "requestContext"):
            if key not in event:
                err(rel + ": API Gateway proxy event without " + key)
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        for h in ("x-api-key", "host"):
            if h not in headers:
                err(rel + ": no " + h + " header")
        ctx = event.get("requestContext") or {}
        if not ctx.get("stage") or not ctx.get("requestId") or not (ctx.get("identity") or {}).get("apiKey"):
            err(rel + ": requestContext needs stage, requestId and identity.apiKey")
        if event.get("body") is not None and not isinstance(event["body"], str):
            err(rel + ": body is a string (JSON text) or null")
        route = (event.get("httpMethod"), event.get("resource"))
        if route not in routes:
            err(rel + ": " + " ".join(map(str, route)) + " is not a route of the template")
            continue
        if routes[route] != b:
            err(rel + ": " + " ".join(route) + " goes to " + str(routes[route]) + ", not " + b)
        expected = event["resource"]
        for k, v in (event.get("pathParameters") or {}).items():
            expected = expected.replace("{" + k + "}", v)
        if "{" in expected or expected != event.get("path"):
            err(rel + ": path and pathParameters do not match resource " + event["resource"])
        covered.add(route)
    elif b in payload_keys:
        if set(event) != payload_keys[b]:
            err(rel + ": keys " + str(sorted(event)) + " differ from what the state machine sends: " + str(sorted(payload_keys[b])))
for route in sorted(set(routes) - covered):
    err("no sample event for " + " ".join(route))
for b in sorted(set(binaries.values()) - with_events):
    err("no sample event for handler " + b)

# --- README ----------------------------------------------------------------------------------
readme_path = os.path.join(root, "README.md")
if not os.path.isfile(readme_path):
    err("README.md is missing")
else:
    readme = open(readme_path).read()
    for method, path in sorted(routes):
        pattern = re.escape(path)
        pattern = re.sub(r"\\\{[A-Za-z]+\\\}", r"[^/\\s\"']+", pattern)
        if not re.search(r"\$\{?API\}?" + pattern + r"(?=[\s\"'?]|$)", readme, re.M):
            err("README.md has no curl example for " + method + " " + path + " (written as $API" + path + ")")
    if "x-api-key" not in readme:
        err("README.md never shows the x-api-key header")

print("  %d routes, %d functions, %d state machines checked" % (len(routes), len(functions), len(machines)))
sys.exit(1 if errors else 0)
PY
}

rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT

# Checks that do not apply here are skipped by ID, one reason each. The consistency check above
# enforces what the skipped ones are after, the way this template does it.
serverless_skips=(  # cfn-lint-serverless
  WS1004  # log retention: the rule only sees log groups whose name references the function; each function here names its own (kept LogRetentionDays) in LoggingConfig.LogGroup
  ES6000  # SQS redrive policy: the template's only queues are dead-letter queues themselves, the end of the line
)
checkov_skips=(
  CKV_AWS_115  # Lambda reserved concurrency: would carve up the account's pool; stage throttling and the usage plan bound the load
  CKV_AWS_116  # Lambda DLQ: API functions are invoked synchronously; status-events (async) has an on-failure destination, which this check does not read
  CKV_AWS_117  # Lambda in a VPC: the functions call only AWS APIs; a VPC would need NAT or endpoints this sample does not have
  CKV_AWS_173  # Lambda environment under a customer KMS key: it holds names and ARNs, no secrets; Lambda encrypts it with its AWS-managed key
  CKV_AWS_158  # log groups under a customer KMS key: nothing secret is logged (task tokens only as a hash); a key adds a key policy and a monthly cost
  CKV_AWS_119  # DynamoDB under a customer KMS key: the table is encrypted at rest (SSESpecification, AWS-managed key); same trade-off
  CKV_AWS_120  # API Gateway cache: answers are live job status, and a cache cluster is billed by the hour
  CKV_AWS_27   # SQS encryption: checkov reads only KmsMasterKeyId; the queues use SSE-SQS (SqsManagedSseEnabled), which EventBridge can write to
)

run_checkov() {
  local skips
  skips="$(IFS=,; echo "${checkov_skips[*]}")"
  # Offline: no PyPI version check, nothing fetched from the Prisma Cloud platform (--skip-download).
  CKV_SKIP_PACKAGE_UPDATE_CHECK=true "$checkov_env/bin/checkov" -f template.yaml \
    --framework cloudformation --quiet --compact --skip-download --skip-check "$skips"
}

run "cfn-lint template.yaml (with the cfn-lint-serverless rules)" \
  "$bin/cfn-lint" template.yaml -a cfn_lint_serverless.rules --ignore-checks "${serverless_skips[@]}"
run "sam validate --lint" "$bin/sam" validate --lint --template-file template.yaml --region "$AWS_REGION"
run "checkov -f template.yaml --framework cloudformation" run_checkov
run "template, state machines, events and README agree" consistency

shopt -s nullglob
asl_files=(statemachine/*.asl.json)
if [ "${#asl_files[@]}" -eq 0 ]; then
  echo "FAILED: no statemachine/*.asl.json" >&2
  failures+=("state machine files present")
fi
# statelint 3.1.0 (the newest) does not yet know that in a JSONata state a Wait's `Timestamp`
# and `Seconds`, and a Task's `TimeoutSeconds` and `HeartbeatSeconds`, may be JSONata
# expressions, as AWS documents (Step Functions developer guide, "Transforming data with
# JSONata": the fields that accept JSONata). Exactly those findings, on a `{% ... %}` value,
# are set aside; any other finding fails the check.
statelint_asl() {
  local out status
  out="$("$bin/statelint" "$1" 2>&1)" && status=0 || status=$?
  [ "$status" -eq 0 ] && return 0
  local rest
  rest="$(printf '%s\n' "$out" \
    | grep -v -E '^[0-9]+ errors:$|^One error:$' \
    | grep -v -E '^ State Machine\.States\.[A-Za-z0-9_]+\.(Timestamp|Seconds|TimeoutSeconds|HeartbeatSeconds) is "\{% .* %\}" but should be (an RFC3339 timestamp|an Integer)$' \
    | grep -v -E '^\s*$' || true)"
  if [ -n "$rest" ]; then
    printf '%s\n' "$out" >&2
    return 1
  fi
  printf 'statelint: only its known gap on JSONata Wait and timeout fields:\n%s\n' "$out"
}

for f in "${asl_files[@]}"; do
  run "statelint $f (as written)" statelint_asl "$f"
  r="$rendered/$(basename "$f")"
  if [ -f "$r" ]; then
    run "statelint $f (substituted)" statelint_asl "$r"
  else
    echo "FAILED: no substituted copy of $f" >&2
    failures+=("substituted $f")
  fi
done

# Behaviour of the definitions on an independent interpreter (moto's, from LocalStack):
# job records, console defaults, every callback outcome. moto comes from requirements-dev.txt.
run "state machines run on moto's ASL interpreter (statemachine/tests)" \
  env PYTHONDONTWRITEBYTECODE=1 "$bin/python" -m unittest discover -s statemachine/tests

if [ "${#failures[@]}" -ne 0 ]; then
  printf '\ncheck-infra: %d check(s) failed:\n' "${#failures[@]}" >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
printf '\ncheck-infra: all checks passed\n'
