"""The three state machines run on an independent ASL interpreter (moto's, derived from
LocalStack's), with the template's substitutions, against moto's DynamoDB and Lambda.

This checks the definitions' behaviour (job records, defaults, every outcome, graceful cancel)
apart from the project's own engine, so a bug in one is not hidden by the same bug in the other.
moto parses JSONata but leaves its evaluation to a JVM bridge it does not ship: the expressions
go to jsonata 2.0.6, the version Step Functions runs, in Node.js (jsonata_eval.js; npm ci
installs it).
Run: .venv/bin/python -m unittest discover -s statemachine/tests   (needs moto[stepfunctions,dynamodb])
"""

import atexit
import io
import json
import subprocess
import logging
import os
import re
import time
import unittest
import zipfile

import boto3
from moto import mock_aws
import moto.stepfunctions.parser.asl.jsonata.jsonata as moto_jsonata
import moto.stepfunctions.responses as sfn_responses
from moto.awslambda_simple.models import LambdaSimpleBackend

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
MACHINES = os.path.join(HERE, "..")
REGION, ACCOUNT = "us-east-1", "123456789012"
TABLE = "jobs"
ROLE = "arn:aws:iam::%s:role/state-machine" % ACCOUNT
# The interpreter logs every failed state at ERROR; the failures here are the expected ones.
logging.getLogger("moto").setLevel(logging.CRITICAL)
CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


def function_arn(name):
    return "arn:aws:lambda:%s:%s:function:%s" % (REGION, ACCOUNT, name)


SUBSTITUTIONS = {
    "JobsTable": TABLE,
    "SendEmailFunctionArn": function_arn("send-email"),
    "SendWaitFunctionArn": function_arn("send-wait"),
    "SendTokenFunctionArn": function_arn("send-token"),
    "HeartbeatSeconds": "300",
    "TimeoutSeconds": "3600",
    "CallbackMode": "external",
}


class _NodeJsonata:
    """jsonata in one Node.js process, for the life of the test run."""

    def __init__(self):
        env = dict(os.environ, NODE_PATH=os.path.join(ROOT, "node_modules"))
        self.proc = subprocess.Popen(
            ["node", os.path.join(HERE, "jsonata_eval.js")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        atexit.register(self.proc.kill)

    def __call__(self, expression):
        self.proc.stdin.write(json.dumps({"expr": expression}) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if "error" in answer:
            raise moto_jsonata.JSONataException("UNKNOWN", answer["error"])
        return answer["value"]


moto_jsonata._eval_jsonata = _NodeJsonata()


def _send_task_failure_with_cause(self):
    # moto's SendTaskFailure handler drops `cause`; Step Functions passes it on.
    self.stepfunction_backend.send_task_failure(
        self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
    )
    return sfn_responses.EmptyResult()


sfn_responses.StepFunctionResponse.send_task_failure = _send_task_failure_with_cause

_echo = LambdaSimpleBackend.invoke


def _invoke(self, function_name, qualifier, body, headers, response_headers):
    # Functions named *-failing fail the way a handler error does: a named error type.
    if function_name.endswith("-failing"):
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps({"errorType": "UpstreamError", "errorMessage": "SES refused the message"}).encode()
    return _echo(self, function_name, qualifier, body, headers, response_headers)


LambdaSimpleBackend.invoke = _invoke


def render(name, **overrides):
    with open(os.path.join(MACHINES, name + ".asl.json")) as f:
        text = f.read()
    values = dict(SUBSTITUTIONS, **overrides)
    text = re.sub(r"\$\{([^}]*)\}", lambda m: values[m.group(1)], text)
    # moto hands $$.Execution.StartTime over as a datetime object that DynamoDB cannot
    # serialize; Step Functions gives an RFC 3339 string like $$.State.EnteredTime.
    return text.replace("$$.Execution.StartTime", "$$.State.EnteredTime")


@mock_aws(config=CONFIG)
class StateMachineTest(unittest.TestCase):
    def setUp(self):
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.ddb = boto3.client("dynamodb", region_name=REGION)
        self.ddb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": a, "AttributeType": "S"}
                for a in ("Id", "ProcessStatus", "ListShard", "LastUpdated")
            ],
            KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": index,
                    "KeySchema": [
                        {"AttributeName": hash_key, "KeyType": "HASH"},
                        {"AttributeName": "LastUpdated", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": include},
                }
                for index, hash_key, include in (
                    ("StatusIndex", "ProcessStatus", ["StartActionAt"]),
                    ("RecentIndex", "ListShard", ["StartActionAt", "ProcessStatus"]),
                )
            ],
        )
        boto3.client("iam", region_name=REGION).create_role(
            RoleName="function", AssumeRolePolicyDocument="{}"
        )
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as z:
            z.writestr("bootstrap", "")
        for name in ("send-email", "send-wait", "send-token", "send-email-failing"):
            # Without docker, moto's Lambda answers with the payload it was given.
            boto3.client("lambda", region_name=REGION).create_function(
                FunctionName=name,
                Runtime="provided.al2023",
                Role="arn:aws:iam::%s:role/function" % ACCOUNT,
                Handler="bootstrap",
                Code={"ZipFile": code.getvalue()},
            )

    def tearDown(self):
        # Executions left waiting for a token would outlive the mock and fail noisily.
        for machine in self.sfn.list_state_machines()["stateMachines"]:
            running = self.sfn.list_executions(
                stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING"
            )["executions"]
            for execution in running:
                self.sfn.stop_execution(executionArn=execution["executionArn"])

    # -- helpers ---------------------------------------------------------------------------
    def start(self, machine, name, payload, **overrides):
        arn = self.sfn.create_state_machine(
            name=machine, definition=render(machine, **overrides), roleArn=ROLE
        )["stateMachineArn"]
        return self.sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))[
            "executionArn"
        ]

    def finish(self, execution, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            d = self.sfn.describe_execution(executionArn=execution)
            if d["status"] != "RUNNING":
                return d
            time.sleep(0.1)
        self.fail("execution still running after %ss" % seconds)

    def events(self, execution):
        return self.sfn.get_execution_history(executionArn=execution)["events"]

    def lambda_call(self, execution, seconds=10):
        """(function ARN, payload) of the first Lambda task, once the function has answered."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            events = self.events(execution)
            scheduled = [
                json.loads(e["taskScheduledEventDetails"]["parameters"])
                for e in events
                if e.get("taskScheduledEventDetails", {}).get("resourceType") == "lambda"
            ]
            answered = any(
                e.get(key, {}).get("resourceType") == "lambda"
                for e in events
                for key in ("taskSubmittedEventDetails", "taskSucceededEventDetails", "taskFailedEventDetails")
            )
            if scheduled and answered:
                # moto starts listening for the token a moment after TaskSubmitted; a
                # token answered earlier than that is lost (Step Functions has no such gap).
                time.sleep(0.5)
                return scheduled[0]["FunctionName"], scheduled[0]["Payload"]
            time.sleep(0.1)
        self.fail("no Lambda task was scheduled and answered")

    def job(self, job_id):
        item = self.ddb.get_item(TableName=TABLE, Key={"Id": {"S": job_id}}).get("Item")
        return {k: v["S"] for k, v in item.items()} if item else None

    def wait_for_status(self, job_id, status, seconds=10):
        deadline = time.time() + seconds
        while time.time() < deadline:
            job = self.job(job_id)
            if job and job["ProcessStatus"] == status:
                return job
            time.sleep(0.1)
        self.fail("job %s never reached %s: %s" % (job_id, status, self.job(job_id)))

    # -- waitable ----------------------------------------------------------------------------
    def test_waitable_records_started_then_completed(self):
        ex = self.start("waitable", "job-1", {"jobId": "job-1", "StartTimestamp": "2026-01-01T00:00:01Z"})
        done = self.finish(ex)
        self.assertEqual(done["status"], "SUCCEEDED")
        job = self.job("job-1")
        self.assertEqual(job["ProcessStatus"], "COMPLETED")
        # Any of the four shards of the all-jobs listing (RecentIndex), picked at random.
        self.assertIn(job["ListShard"], {"0", "1", "2", "3"})
        self.assertEqual(job["Pattern"], "waitable")
        # Normalised to milliseconds, as the API writes it.
        self.assertEqual(job["StartActionAt"], "2026-01-01T00:00:01.000Z")
        self.assertEqual(job["ExecutionArn"], ex)
        types = [e["type"] for e in self.events(ex)]
        self.assertLess(types.index("WaitStateEntered"), types.index("WaitStateExited"))
        for index, key, value in (("RecentIndex", "ListShard", job["ListShard"]), ("StatusIndex", "ProcessStatus", "COMPLETED")):
            items = self.ddb.query(
                TableName=TABLE,
                IndexName=index,
                KeyConditionExpression="#k = :v",
                ExpressionAttributeNames={"#k": key},
                ExpressionAttributeValues={":v": {"S": value}},
            )["Items"]
            self.assertEqual([i["Id"]["S"] for i in items], ["job-1"], index)

    def request_cancel(self, job_id):
        """What DELETE /executions/{id} does: set CancelRequested on the job record."""
        self.ddb.update_item(
            TableName=TABLE,
            Key={"Id": {"S": job_id}},
            UpdateExpression="SET CancelRequested = :t",
            ExpressionAttributeValues={":t": {"BOOL": True}},
        )

    def assert_cancelled(self, execution, job_id):
        done = self.finish(execution)
        self.assertEqual((done["status"], done["error"]), ("FAILED", "Cancelled"))
        item = self.ddb.get_item(TableName=TABLE, Key={"Id": {"S": job_id}})["Item"]
        self.assertEqual((item["ProcessStatus"]["S"], item["Error"]["S"]), ("CANCELLED", "Cancelled"))
        self.assertNotIn("TaskToken", item)
        return item

    def test_waitable_cancel_requested_before_it_runs(self):
        self.request_cancel("job-c")
        ex = self.start("waitable", "job-c", {"jobId": "job-c", "StartTimestamp": "2026-01-01T00:00:01Z"})
        self.assert_cancelled(ex, "job-c")
        types = [e["type"] for e in self.events(ex)]
        self.assertNotIn("WaitStateEntered", types, "it never waited")

    def test_wait_until_cancel_requested_during_the_wait_sends_nothing(self):
        start_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3))
        ex = self.start("wait-until", "wu-c", {"jobId": "wu-c", "taskName": "t", "startAt": start_at})
        self.wait_for_status("wu-c", "SCHEDULED")
        self.request_cancel("wu-c")
        self.assert_cancelled(ex, "wu-c")
        self.assertFalse(
            any(e.get("taskScheduledEventDetails", {}).get("resourceType") == "lambda" for e in self.events(ex)),
            "no email after a cancel",
        )

    def test_callback_cancel_requested_while_waiting_ends_cancelled(self):
        ex = self.start("callback", "cb-c", {"jobId": "cb-c", "mode": "external"})
        _, payload = self.lambda_call(ex)
        self.wait_for_status("cb-c", "STARTED")
        self.request_cancel("cb-c")
        self.sfn.send_task_success(taskToken=payload["token"], output=json.dumps({"late": True}))
        self.assert_cancelled(ex, "cb-c")

    # -- wait-until ----------------------------------------------------------------------------
    def test_wait_until_sends_and_outputs_the_function_result(self):
        given = {"jobId": "wu-1", "taskName": "send-reminder", "startAt": "2026-01-01T00:00:01Z"}
        ex = self.start("wait-until", "wu-1", given)
        function, payload = self.lambda_call(ex)
        self.assertEqual(function, function_arn("send-email"))
        sent = dict(given, startAt="2026-01-01T00:00:01.000Z")
        self.assertEqual(payload, sent)
        done = self.finish(ex)
        self.assertEqual(done["status"], "SUCCEEDED")
        # moto's Lambda echoes its payload, so the function's result is what it was sent.
        self.assertEqual(json.loads(done["output"]), sent)
        job = self.job("wu-1")
        self.assertEqual((job["ProcessStatus"], job["Pattern"]), ("COMPLETED", "wait-until"))
        self.assertEqual(json.loads(job["Output"]), sent)

    def test_wait_until_records_a_failed_send(self):
        ex = self.start(
            "wait-until",
            "wu-2",
            {"jobId": "wu-2", "taskName": "t", "startAt": "2026-01-01T00:00:01Z"},
            SendEmailFunctionArn=function_arn("send-email-failing"),
        )
        done = self.finish(ex)
        self.assertEqual((done["status"], done["error"]), ("FAILED", "SendEmailFailed"))
        job = self.job("wu-2")
        self.assertEqual((job["ProcessStatus"], job["Error"]), ("FAILED", "UpstreamError"))
        self.assertIn("SES refused the message", job["Cause"])

    # -- callback --------------------------------------------------------------------------------
    def test_callback_console_start_gets_defaults(self):
        ex = self.start("callback", "console-start", {}, CallbackMode="auto")
        function, payload = self.lambda_call(ex)
        self.assertEqual(function, function_arn("send-token"))
        self.assertEqual(payload["jobId"], "console-start")
        self.assertTrue(payload["token"])
        self.assertEqual(self.job("console-start")["ProcessStatus"], "STARTED")

    def test_callback_input_mode_wins_but_timing_does_not(self):
        ex = self.start(
            "callback",
            "cb-mode",
            {"jobId": "job-7", "mode": "external", "timing": {"heartbeatSeconds": 1}},
            CallbackMode="auto",
        )
        function, payload = self.lambda_call(ex)
        self.assertEqual(function, function_arn("send-wait"))
        self.assertEqual(payload["jobId"], "job-7")
        scheduled = [
            e["taskScheduledEventDetails"]
            for e in self.events(ex)
            if e.get("taskScheduledEventDetails", {}).get("resourceType") == "lambda"
        ]
        self.assertEqual(
            (scheduled[0].get("heartbeatInSeconds"), scheduled[0].get("timeoutInSeconds")), (300, 3600)
        )

    def test_callback_success_completes_the_job(self):
        ex = self.start("callback", "cb-ok", {"jobId": "cb-ok", "mode": "external", "input": {"x": 1}})
        _, payload = self.lambda_call(ex)
        self.wait_for_status("cb-ok", "STARTED")
        # What send-wait does, so the test can see the machine remove the token.
        self.ddb.update_item(
            TableName=TABLE,
            Key={"Id": {"S": "cb-ok"}},
            UpdateExpression="SET TaskToken = :t, ProcessStatus = :s",
            ExpressionAttributeValues={":t": {"S": payload["token"]}, ":s": {"S": "WAITING_FOR_CALLBACK"}},
        )
        self.sfn.send_task_success(taskToken=payload["token"], output=json.dumps({"approved": True}))
        done = self.finish(ex)
        self.assertEqual(done["status"], "SUCCEEDED")
        self.assertEqual(json.loads(done["output"])["taskresult"], {"approved": True})
        job = self.job("cb-ok")
        self.assertEqual(job["ProcessStatus"], "COMPLETED")
        self.assertEqual(json.loads(job["Output"]), {"approved": True})
        self.assertNotIn("TaskToken", job)

    def test_callback_failure_records_error_and_cause(self):
        ex = self.start("callback", "cb-no", {"jobId": "cb-no", "mode": "external"})
        _, payload = self.lambda_call(ex)
        self.sfn.send_task_failure(taskToken=payload["token"], error="Rejected", cause="Over the limit")
        done = self.finish(ex)
        self.assertEqual((done["status"], done["error"]), ("FAILED", "CallbackFailed"))
        job = self.job("cb-no")
        self.assertEqual((job["ProcessStatus"], job["Error"], job["Cause"]), ("FAILED", "Rejected", "Over the limit"))

    def test_callback_failure_without_cause(self):
        ex = self.start("callback", "cb-bare", {"jobId": "cb-bare", "mode": "external"})
        _, payload = self.lambda_call(ex)
        self.sfn.send_task_failure(taskToken=payload["token"], error="Rejected")
        done = self.finish(ex)
        self.assertEqual((done["status"], done["error"]), ("FAILED", "CallbackFailed"))
        job = self.job("cb-bare")
        self.assertEqual((job["ProcessStatus"], job["Error"]), ("FAILED", "Rejected"))
        self.assertNotIn("Cause", job)

    def test_callback_without_answer_times_out(self):
        ex = self.start(
            "callback", "cb-late", {"jobId": "cb-late"}, HeartbeatSeconds="1", TimeoutSeconds="2"
        )
        done = self.finish(ex)
        self.assertEqual((done["status"], done["error"]), ("FAILED", "CallbackTimedOut"))
        job = self.job("cb-late")
        self.assertEqual(job["ProcessStatus"], "TIMED_OUT")
        self.assertTrue(job["Error"].startswith("States."))


if __name__ == "__main__":
    unittest.main()
