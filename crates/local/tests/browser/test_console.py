"""End-to-end tests of the local console in a real browser: Debian's Chromium driven by
Playwright, against the real `local` binary (the project's template and state machines).

Run by scripts/browser-tests.sh (part of scripts/test.sh). Needs LOCAL_BIN (the built
`local` binary) and CHROMIUM (default /usr/bin/chromium). Screenshots go to the folder
SCREENSHOTS names (relative to the repository root; `SCREENSHOTS=docs` regenerates the README's),
else to a temporary folder: a test run leaves the source tree as it was.
ConsoleTest runs one runtime on the real clock; TimeTest another on a frozen clock, which
only its tests move.
It also prints two figures (never asserted): how long a 1,000-event history takes to render
and how long a page of a 10,000-execution listing takes.
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect, sync_playwright

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
SHOTS = (os.path.join(ROOT, os.environ["SCREENSHOTS"]) if os.environ.get("SCREENSHOTS")
         else tempfile.mkdtemp(prefix="console-screenshots-"))
os.makedirs(SHOTS, exist_ok=True)
LOCAL_BIN = os.environ.get("LOCAL_BIN", os.path.join(ROOT, "target", "debug", "local"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ACCOUNT = "123456789012"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_seconds(n):
    return (datetime.now(timezone.utc) + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def clock_time(text):
    """A time the clock endpoints answer (RFC 3339, milliseconds, Z)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def shown_time(text):
    """The time the console's clock shows: `2026-12-08 01:23:45 UTC`."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=timezone.utc)


def as_shown(t):
    return t.strftime("%Y-%m-%d %H:%M:%S UTC")


class Runtime:
    def __init__(self, *args):
        self.api_port, self.aws_port = free_port(), free_port()
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [LOCAL_BIN, "--template", os.path.join(ROOT, "template.yaml"), "--in-memory", "--quiet",
             "--api-port", str(self.api_port), "--aws-port", str(self.aws_port), *args],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "LOCAL_API_KEY": "browser-test-key", "AWS_REGION": "us-east-1"},
        )
        self.url = "http://127.0.0.1:%d" % self.aws_port
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/console/", timeout=1).read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.log.seek(0)
        raise RuntimeError("local did not start:\n" + self.log.read().decode(errors="replace"))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def aws(self, target, body):
        req = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), method="POST",
            headers={"x-amz-target": target, "content-type": "application/x-amz-json-1.0",
                     "authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=x"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    def machine_arn(self, suffix):
        return "arn:aws:states:us-east-1:%s:stateMachine:sfn-patterns-%s" % (ACCOUNT, suffix)

    def raw_post(self, path, body, headers):
        req = urllib.request.Request(self.url + path, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def clock(self):
        """GET /_local/clock: {"now", "offsetSeconds", "frozen"}."""
        with urllib.request.urlopen(self.url + "/_local/clock", timeout=10) as r:
            return json.load(r)


class BrowserCase(unittest.TestCase):
    """One runtime (started with `runtime_args`) and one Chromium per class, a page per test."""
    runtime_args = ()

    @classmethod
    def setUpClass(cls):
        cls.rt = Runtime(*cls.runtime_args)
        cls.pw = sync_playwright().start()
        cls.browser = cls.pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.pw.stop()
        cls.rt.stop()

    def setUp(self):
        self.page = self.browser.new_page(viewport={"width": 1400, "height": 1000})
        self.dialogs = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def tearDown(self):
        self.page.close()

    def node(self, state):
        return self.page.locator('[data-state="%s"]' % state).first

    def open_machine(self, suffix):
        self.page.goto(self.rt.url + "/console/#/machine?arn=" + self.rt.machine_arn(suffix))
        expect(self.page.get_by_role("button", name="Start execution")).to_be_visible()

    def start_from_page(self, suffix, payload, name=None):
        self.open_machine(suffix)
        self.page.fill("#start-input", json.dumps(payload))
        if name:
            self.page.fill("#start-name", name)
        self.page.get_by_role("button", name="Start execution").click()
        expect(self.page.locator("#execution-status")).to_be_visible()
        return self.page.url

    def wait_for_token(self):
        expect(self.page.get_by_role("button", name="Send success")).to_be_visible(timeout=15000)
        expect(self.node("WaitForCallback")).to_have_attribute("data-status", "waiting")


class ConsoleTest(BrowserCase):

    # -- the views -----------------------------------------------------------------------------
    def test_overview_lists_machines_and_jobs(self):
        self.rt.aws("AWSStepFunctions.StartExecution", {
            "stateMachineArn": self.rt.machine_arn("Waitable"), "name": "overview-job",
            "input": json.dumps({"jobId": "overview-job", "StartTimestamp": in_seconds(3600)})})
        # A browser opening the endpoint's root is sent to the console.
        self.page.goto(self.rt.url + "/")
        self.assertTrue(self.page.url.endswith("/console/"), self.page.url)
        for name in ("sfn-patterns-Callback", "sfn-patterns-WaitUntil", "sfn-patterns-Waitable"):
            expect(self.page.get_by_role("link", name=name)).to_be_visible()
        expect(self.page.get_by_role("link", name="overview-job").first).to_be_visible()
        self.page.reload()
        expect(self.page.locator("table").nth(2)).to_contain_text("overview-job")
        self.page.screenshot(path=os.path.join(SHOTS, "console-overview.png"), full_page=True)

    def test_machine_graph_groups_edges_and_definition(self):
        self.open_machine("Callback")
        for state in ("RecordStarted", "WaitForCallback", "RecordCompleted", "RecordEnd", "Ended"):
            expect(self.node(state)).to_contain_text(state)
            expect(self.node(state)).to_have_attribute("data-status", "not-reached")
        # Every unsuccessful end is a Catch into the one RecordEnd state.
        self.assertGreater(self.page.locator('[data-edge="catch"]').count(), 2)
        expect(self.page.locator("#definition")).to_contain_text('"StartAt"')
        self.page.screenshot(path=os.path.join(SHOTS, "console-state-machine.png"), full_page=True)

    def test_parallel_and_map_are_nested_groups(self):
        definition = {"StartAt": "Fan", "States": {
            "Fan": {"Type": "Parallel", "ResultPath": None, "Next": "Each", "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": True}}}]},
            "Each": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                     "ItemProcessor": {"StartAt": "One", "States": {"One": {"Type": "Pass", "End": True}}}}}}
        arn = self.rt.aws("AWSStepFunctions.CreateStateMachine", {
            "name": "console-nested", "definition": json.dumps(definition),
            "roleArn": "arn:aws:iam::%s:role/x" % ACCOUNT})["stateMachineArn"]
        ex = self.rt.aws("AWSStepFunctions.StartExecution", {"stateMachineArn": arn, "input": json.dumps({"items": [1, 2]})})
        self.page.goto(self.rt.url + "/console/#/execution?arn=" + ex["executionArn"])
        expect(self.page.locator("#execution-status")).to_have_text("SUCCEEDED")
        self.assertEqual(self.page.locator('[data-group="Parallel"]').count(), 1)
        self.assertEqual(self.page.locator('[data-group="Map"]').count(), 1)
        self.assertEqual(self.page.locator('[data-group="Branch"]').count(), 3)
        for state in ("Fan", "Left", "Right", "Each", "One"):
            expect(self.node(state)).to_have_attribute("data-status", "succeeded")

    # -- start, watch, answer, stop -------------------------------------------------------------------
    def test_start_from_the_page_and_watch_the_graph_light_up(self):
        self.start_from_page("Waitable", {"jobId": "lights-1", "StartTimestamp": in_seconds(4)}, name="lights-1")
        status = self.page.locator("#execution-status")
        expect(status).to_have_text("RUNNING")
        expect(self.node("RecordStarted")).to_have_attribute("data-status", "succeeded", timeout=10000)
        expect(self.node("WaitForStartTimestamp")).to_have_attribute("data-status", "waiting")
        expect(self.page.locator('[data-wait="WaitForStartTimestamp"]')).to_contain_text("waits until")
        # No reload from here: the page updates itself.
        expect(status).to_have_text("SUCCEEDED", timeout=20000)
        expect(self.node("RecordCompleted")).to_have_attribute("data-status", "succeeded")
        expect(self.node("RecordEnd")).to_have_attribute("data-status", "not-reached")
        # Selecting a state shows its input and output; history rows are there with details.
        self.node("RecordStarted").click()
        expect(self.page.locator("#selected-input")).to_contain_text("lights-1")
        expect(self.page.locator("#selected-output")).to_contain_text("lights-1")
        first = self.page.locator("tr[data-event-type=ExecutionStarted] details")
        first.locator("summary").click()
        expect(first.locator("pre")).to_contain_text("lights-1")

    def test_send_success_completes_a_waiting_callback(self):
        self.start_from_page("Callback", {"mode": "external", "input": {"orderId": "o-1"}}, name="cb-success")
        self.wait_for_token()
        self.page.screenshot(path=os.path.join(SHOTS, "console-execution.png"), full_page=True)
        token = self.rt.aws("DynamoDB_20120810.GetItem", {"TableName": "JobsTable", "Key": {"Id": {"S": "cb-success"}}})["Item"]["TaskToken"]["S"]
        # Not in the page, nor in the history details (TaskScheduled parameters carry it on AWS),
        # nor in anything the page fetches.
        self.page.locator("tr[data-event-type=TaskScheduled] summary").first.click()
        expect(self.page.locator("tr[data-event-type=TaskScheduled] pre").first).to_contain_text("<task token sha256:")
        self.assertNotIn(token, self.page.content(), "the task token never reaches the page")
        fetched = self.page.evaluate("async (u) => (await fetch(u)).text()",
                                     "/console/api/execution?arn=" + self.page.url.split("arn=")[1])
        self.assertNotIn(token, fetched)
        self.page.fill('textarea[aria-label="Task output (JSON)"]', '{"approved": true}')
        self.page.get_by_role("button", name="Send success").click()
        expect(self.page.locator("#execution-status")).to_have_text("SUCCEEDED", timeout=15000)
        expect(self.node("WaitForCallback")).to_have_attribute("data-status", "succeeded")
        expect(self.node("RecordCompleted")).to_have_attribute("data-status", "succeeded")
        expect(self.page.locator("#execution-output")).to_contain_text("approved")

    def test_send_failure_is_caught_by_the_machine(self):
        self.start_from_page("Callback", {"mode": "external"}, name="cb-failure")
        self.wait_for_token()
        self.page.fill('input[aria-label="Failure error"]', "Rejected")
        self.page.fill('input[aria-label="Failure cause"]', "Over the limit")
        self.page.get_by_role("button", name="Send failure").click()
        status = self.page.locator("#execution-status")
        expect(status).not_to_have_text("RUNNING", timeout=15000)
        expect(self.node("WaitForCallback")).to_have_attribute("data-status", "caught")
        expect(self.node("RecordEnd")).to_have_attribute("data-status", "succeeded")
        expect(self.node("Ended")).to_have_attribute("data-status", "failed")
        expect(status).to_have_text("FAILED")

    def test_send_heartbeat_then_stop_the_execution(self):
        self.start_from_page("Callback", {"mode": "external"}, name="cb-heartbeat")
        self.wait_for_token()
        self.page.get_by_role("button", name="Send heartbeat").click()
        expect(self.page.locator("#action-notice")).to_have_text("Heartbeat sent.")
        expect(self.page.locator("#action-error")).to_have_text("")
        expect(self.node("WaitForCallback")).to_have_attribute("data-status", "waiting")
        self.page.fill("#stop-error", "Operator.Stop")
        self.page.fill("#stop-cause", "stopped from the console")
        self.page.get_by_role("button", name="Stop execution").click()
        expect(self.page.locator("#execution-status")).to_have_text("ABORTED", timeout=15000)
        expect(self.page.locator("#execution-error")).to_have_text("Operator.Stop")
        expect(self.page.get_by_role("button", name="Send success")).to_have_count(0)

    def test_redrive_an_aborted_callback_from_the_page(self):
        self.start_from_page("Callback", {"mode": "external"}, name="cb-redrive")
        self.wait_for_token()
        expect(self.page.get_by_role("button", name="Redrive")).to_have_count(0)
        self.page.get_by_role("button", name="Stop execution").click()
        expect(self.page.locator("#execution-status")).to_have_text("ABORTED", timeout=15000)
        self.page.get_by_role("button", name="Redrive").click()
        expect(self.page.locator("#action-notice")).to_have_text("Redriven.")
        # The callback state is entered again and waits on a new token.
        self.wait_for_token()
        expect(self.page.locator("#execution-status")).to_have_text("RUNNING")
        expect(self.page.locator("tr[data-event-type=ExecutionRedriven]")).to_have_count(1)
        self.page.get_by_role("button", name="Send success").click()
        expect(self.page.locator("#execution-status")).to_have_text("SUCCEEDED", timeout=15000)
        expect(self.page.get_by_role("button", name="Redrive")).to_have_count(0)
        arn = urllib.parse.unquote(self.page.url.split("arn=")[1])
        d = self.rt.aws("AWSStepFunctions.DescribeExecution", {"executionArn": arn})
        self.assertEqual(d["redriveCount"], 1)

    def test_clock_runs_in_the_header(self):
        self.page.goto(self.rt.url + "/console/#/")
        expect(self.page.locator("#clock-mode")).to_have_text("running")
        shown = self.page.locator("#clock-now")
        expect(shown).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$"))
        first = shown.text_content()
        gap = shown_time(first) - clock_time(self.rt.clock()["now"])
        self.assertLess(abs(gap.total_seconds()), 5, first)
        # Nothing moved this runtime's clock: no offset is shown, and it ticks on its own.
        expect(self.page.locator("#clock-offset")).to_have_text("")
        expect(shown).not_to_have_text(first, timeout=5000)

    # -- safety -------------------------------------------------------------------------------------
    def test_markup_in_execution_data_renders_as_inert_text(self):
        evil = '<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">'
        self.start_from_page("Callback", {"mode": "external", "input": {"note": evil}}, name="cb-markup")
        self.wait_for_token()
        self.node("RecordStarted").click()
        expect(self.page.locator("#execution-input")).to_contain_text("<script>window.__pwned=1</script>")
        expect(self.page.locator("#selected-input")).to_contain_text("<img src=x onerror=")
        # The overview lists it (newest executions, jobs table), and so does the machine page.
        self.page.goto(self.rt.url + "/console/#/")
        expect(self.page.get_by_role("heading", name="Jobs table")).to_be_visible()
        expect(self.page.get_by_role("link", name="cb-markup")).to_have_count(2)
        self.open_machine("Callback")
        expect(self.page.locator("#machine-executions").get_by_role("link", name="cb-markup")).to_be_visible()
        self.assertIsNone(self.page.evaluate("window.__pwned"))
        self.assertEqual(self.page.locator("img").count(), 0)
        self.assertEqual(self.page.locator("main script").count(), 0)
        self.assertEqual(self.dialogs, [])

    def test_invalid_json_input_is_refused_in_the_page(self):
        before = len(self.rt.aws("AWSStepFunctions.ListExecutions", {"stateMachineArn": self.rt.machine_arn("Waitable")})["executions"])
        self.open_machine("Waitable")
        sent = []
        self.page.on("request", lambda r: sent.append(r.url) if "/console/api/start" in r.url else None)
        self.page.fill("#start-input", '{"jobId": "x",')
        self.page.get_by_role("button", name="Start execution").click()
        expect(self.page.locator("#start-error")).to_contain_text("Invalid JSON")
        self.assertEqual(sent, [], "nothing is sent")
        after = len(self.rt.aws("AWSStepFunctions.ListExecutions", {"stateMachineArn": self.rt.machine_arn("Waitable")})["executions"])
        self.assertEqual(before, after)

    def test_cross_origin_posts_are_refused(self):
        body = json.dumps({"machine": self.rt.machine_arn("Waitable"), "input": "{}"}).encode()
        for headers in (
            {"content-type": "application/json", "origin": "http://evil.example"},
            {"content-type": "application/json", "origin": "null"},
            {"content-type": "application/json", "sec-fetch-site": "cross-site"},
        ):
            status, out = self.rt.raw_post("/console/api/start", body, headers)
            self.assertEqual(status, 403, out)
            self.assertEqual(out["error"], "CrossOriginRequest")
        # A page on another host name that resolves here (DNS rebinding) is refused, reads too.
        req = urllib.request.Request(self.rt.url + "/console/api/overview", headers={"host": "rebind.example:%d" % self.rt.aws_port})
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(refused.exception.code, 403)
        # What a cross-site HTML form can send (no preflight) is not JSON: refused too.
        status, out = self.rt.raw_post("/console/api/start", b"machine=x", {"content-type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 415, out)
        # And from a real page on another origin, the browser's own request is refused.
        other = self.browser.new_page()
        try:
            other.set_content("<p>elsewhere</p>")
            result = other.evaluate("""async (url) => {
                try {
                    const r = await fetch(url, {method: 'POST', mode: 'no-cors', headers: {'content-type': 'text/plain'}, body: '{}'});
                    return 'sent:' + r.type;
                } catch (e) { return 'blocked'; }
            }""", self.rt.url + "/console/api/stop")
            self.assertIn(result, ("sent:opaque", "blocked"))
        finally:
            other.close()
        listed = self.rt.aws("AWSStepFunctions.ListExecutions", {"stateMachineArn": self.rt.machine_arn("Waitable"), "statusFilter": "ABORTED"})
        self.assertEqual(listed["executions"], [])

    # -- figures (printed, never asserted) --------------------------------------------------------------
    def test_zz_figures(self):
        loop = {"StartAt": "Count", "States": {
            "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "More"},
            "More": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": 249, "Next": "Count"}], "Default": "Done"},
            "Done": {"Type": "Succeed"}}}
        arn = self.rt.aws("AWSStepFunctions.CreateStateMachine", {
            "name": "console-long", "definition": json.dumps(loop), "roleArn": "arn:aws:iam::%s:role/x" % ACCOUNT})["stateMachineArn"]
        ex = self.rt.aws("AWSStepFunctions.StartExecution", {"stateMachineArn": arn, "input": '{"n": 0}'})["executionArn"]
        for _ in range(100):
            if self.rt.aws("AWSStepFunctions.DescribeExecution", {"executionArn": ex})["status"] != "RUNNING":
                break
            time.sleep(0.1)
        events = len(self.rt.aws("AWSStepFunctions.GetExecutionHistory", {"executionArn": ex, "maxResults": 1000})["events"])
        t0 = time.time()
        self.page.goto(self.rt.url + "/console/#/execution?arn=" + ex)
        expect(self.page.locator("tr[data-event-type]")).to_have_count(events, timeout=30000)
        expect(self.node("Done")).to_have_attribute("data-status", "succeeded")
        history_ms = (time.time() - t0) * 1000

        quick = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
        arn = self.rt.aws("AWSStepFunctions.CreateStateMachine", {
            "name": "console-many", "definition": json.dumps(quick), "roleArn": "arn:aws:iam::%s:role/x" % ACCOUNT})["stateMachineArn"]
        n = 10000
        for i in range(n):
            self.rt.aws("AWSStepFunctions.StartExecution", {"stateMachineArn": arn, "name": "run-%05d" % i})
        t0 = time.time()
        self.page.goto(self.rt.url + "/console/#/machine?arn=" + arn)
        expect(self.page.locator("table.executions tbody tr")).to_have_count(25, timeout=30000)
        first_ms = (time.time() - t0) * 1000
        t0 = time.time()
        self.page.get_by_role("button", name="Next page").click()
        expect(self.page.locator(".pager span")).to_have_text("Page 2")
        expect(self.page.locator("table.executions tbody tr")).to_have_count(25)
        next_ms = (time.time() - t0) * 1000
        print("\nfigure: execution view with a %d-event history rendered in %.0f ms" % (events, history_ms))
        print("figure: machine with %d executions: first page %.0f ms, next page %.0f ms (25 per page)" % (n, first_ms, next_ms))
        sys.stdout.flush()



class TimeTest(BrowserCase):
    """Time you control, in the page: the clock stands still until a test moves it."""
    runtime_args = ("--clock", "frozen")

    def start_waitable(self, name, wait_seconds):
        """A Waitable job whose StartTimestamp is `wait_seconds` past the runtime's clock."""
        at = clock_time(self.rt.clock()["now"]) + timedelta(seconds=wait_seconds)
        ex = self.rt.aws("AWSStepFunctions.StartExecution", {
            "stateMachineArn": self.rt.machine_arn("Waitable"), "name": name,
            "input": json.dumps({"jobId": name, "StartTimestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ")})})
        self.page.goto(self.rt.url + "/console/#/execution?arn=" + ex["executionArn"])
        expect(self.node("WaitForStartTimestamp")).to_have_attribute("data-status", "waiting", timeout=10000)
        return ex["executionArn"]

    def job_status(self, job_id):
        item = self.rt.aws("DynamoDB_20120810.GetItem", {"TableName": "JobsTable", "Key": {"Id": {"S": job_id}}})["Item"]
        return item["ProcessStatus"]["S"]

    def test_advance_time_moves_the_clock_and_ends_a_wait(self):
        self.start_waitable("advance-1", 1800)
        expect(self.page.locator("#clock-mode")).to_have_text("frozen")
        before = clock_time(self.rt.clock()["now"])
        shown = self.page.locator("#clock-now")
        expect(shown).to_have_text(as_shown(before))
        self.page.fill("#advance-seconds", "3600")
        self.page.get_by_role("button", name="Advance time", exact=True).click()
        expect(self.page.locator("#clock-notice")).to_contain_text("Advanced 01:00:00")
        after = clock_time(self.rt.clock()["now"])
        self.assertEqual(after - before, timedelta(hours=1))
        expect(shown).to_have_text(as_shown(after))
        expect(self.page.locator("#clock-offset")).to_have_text(re.compile(r"^\+00:5\d:\d\d ahead$"))
        # The view was refreshed: the Wait, due half an hour ago now, has ended.
        expect(self.page.locator("#execution-status")).to_have_text("SUCCEEDED", timeout=10000)
        expect(self.node("WaitForStartTimestamp")).to_have_attribute("data-status", "succeeded")
        self.assertEqual(self.job_status("advance-1"), "COMPLETED")
        # A preset moves it too.
        self.page.get_by_role("button", name="+1 min").click()
        expect(shown).to_have_text(as_shown(after + timedelta(minutes=1)))
        self.assertEqual(clock_time(self.rt.clock()["now"]), after + timedelta(minutes=1))
        # Time only moves forward: the runtime's 400 is shown inline, nothing moves.
        self.page.fill("#advance-seconds", "-5")
        self.page.get_by_role("button", name="Advance time", exact=True).click()
        expect(self.page.locator("#clock-error")).to_contain_text("time only moves forward")
        expect(self.page.locator("#clock-notice")).to_have_text("")
        self.assertEqual(clock_time(self.rt.clock()["now"]), after + timedelta(minutes=1))
        expect(shown).to_have_text(as_shown(after + timedelta(minutes=1)))
        expect(self.page.get_by_role("button", name="Advance time", exact=True)).to_be_enabled()

    def test_skip_wait_ends_a_wait_at_once(self):
        arn = self.start_waitable("skip-1", 3600)
        skip = self.page.get_by_role("button", name="Skip wait")
        expect(skip).to_be_visible()
        expect(self.page.locator("#skip-wait")).to_contain_text("WaitForStartTimestamp is in a Wait")
        self.assertEqual(self.job_status("skip-1"), "STARTED")
        self.page.screenshot(path=os.path.join(SHOTS, "console-time.png"), full_page=True)
        before = self.rt.clock()
        started = time.time()
        skip.click()
        expect(self.page.locator("#execution-status")).to_have_text("SUCCEEDED", timeout=10000)
        self.assertLess(time.time() - started, 10, "no real waiting")
        expect(self.page.locator("#action-notice")).to_have_text("Wait skipped.")
        expect(self.page.locator("#action-error")).to_have_text("")
        expect(self.node("RecordCompleted")).to_have_attribute("data-status", "succeeded")
        expect(skip).to_have_count(0)
        self.assertEqual(self.job_status("skip-1"), "COMPLETED")
        # The clock did not move.
        self.assertEqual(self.rt.clock()["now"], before["now"])
        self.assertEqual(self.rt.aws("AWSStepFunctions.DescribeExecution", {"executionArn": arn})["status"], "SUCCEEDED")

    def test_skip_wait_error_is_shown(self):
        arn = self.start_waitable("skip-2", 3600)
        # Someone else skips the wait first: the page's own request then finds no Wait.
        def first_elsewhere(route):
            status, _ = self.rt.raw_post("/_local/executions/skip-wait", json.dumps({"executionArn": arn}).encode(), {})
            self.assertEqual(status, 200)
            route.continue_()
        self.page.route("**/_local/executions/skip-wait", first_elsewhere)
        self.page.get_by_role("button", name="Skip wait").click()
        expect(self.page.locator("#action-error")).to_contain_text("NotInWait")
        expect(self.page.locator("#execution-status")).to_have_text("SUCCEEDED", timeout=10000)
        expect(self.page.get_by_role("button", name="Skip wait")).to_have_count(0)

    def test_skip_wait_is_absent_outside_a_wait(self):
        ex = self.rt.aws("AWSStepFunctions.StartExecution", {
            "stateMachineArn": self.rt.machine_arn("Callback"), "name": "no-wait-1",
            "input": json.dumps({"mode": "external"})})
        self.page.goto(self.rt.url + "/console/#/execution?arn=" + ex["executionArn"])
        self.wait_for_token()
        expect(self.page.locator("#execution-status")).to_have_text("RUNNING")
        expect(self.page.get_by_role("button", name="Skip wait")).to_have_count(0)
        expect(self.page.locator("#clock-mode")).to_have_text("frozen")


if __name__ == "__main__":
    unittest.main(verbosity=2)
