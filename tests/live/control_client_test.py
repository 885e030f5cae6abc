"""The control API from an independent client: Python's gRPC (Debian's python3-grpcio),
with stubs generated here from the project's .proto files by protoc, over TLS checked
against the CA of `tminus certs init`. A missing or wrong token, a wrong role, a double
sign-off, a malformed decision and a late decision are all refused, each saying why.
Usage: control_client_test.py TMINUS PROTO_DIR PROTOC GRPC_PYTHON_PLUGIN"""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import LiveRig, free_port  # noqa: E402

TMINUS, PROTO_DIR, PROTOC, PLUGIN = sys.argv[1:5]
del sys.argv[1:5]

STUBS = tempfile.mkdtemp(prefix="tminus-stubs-")
atexit.register(shutil.rmtree, STUBS, True)
subprocess.run([PROTOC, f"-I{PROTO_DIR}", f"--python_out={STUBS}", f"--grpc_out={STUBS}",
                f"--plugin=protoc-gen-grpc={PLUGIN}", "tminus/v1/common.proto",
                "tminus/v1/control.proto"], check=True)
sys.path.insert(0, STUBS)
import grpc  # noqa: E402
from tminus.v1 import control_pb2 as pb  # noqa: E402
from tminus.v1 import control_pb2_grpc as pb_grpc  # noqa: E402

RUNBOOK = """runbook: 1
name: client-demo
roles: {ops: [olu], cab: [kim]}
defaults: {duration: 1m, timeout: 1m}
steps:
  - {id: confirm, type: manual, owner: ops}
  - {id: go-live, type: gate, needs: [confirm], approvers: [cab], quorum: 1}
  - {id: finish, type: task, owner: ops, needs: [go-live], run: {on: local, command: [sleep, "30"]}}
"""


class ControlClientTest(unittest.TestCase):
    def setUp(self):
        self.rig = LiveRig(TMINUS, None)

    def tearDown(self):
        self.rig.close()

    def test_an_independent_client_is_authenticated_and_every_refusal_says_why(self):
        certs = self.rig.path("certs")
        r = self.rig.run_tminus(["certs", "init", certs])
        self.assertEqual(r.returncode, 0, r.stderr)
        tokens = {}
        for user, role in (("olu", "ops"), ("kim", "cab")):
            r = self.rig.run_tminus(["operators", "add", user, "--role", role])
            self.assertEqual(r.returncode, 0, r.stderr)
            tokens[user] = r.stdout.strip()
        port = free_port()
        rb = self.rig.write("client.yaml", RUNBOOK)
        coord = self.rig.coordinator(["run", rb, "--journal", self.rig.path("client.db"),
                                      "--operators", self.rig.path("operators.json"),
                                      "--control", f"127.0.0.1:{port}", "--tls-dir", certs])
        coord.wait_for("operators' control API at", timeout=20)
        with open(os.path.join(certs, "ca.crt"), "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        channel = grpc.secure_channel(f"127.0.0.1:{port}", creds)
        stub = pb_grpc.ControlStub(channel)

        def as_(user):
            return [("authorization", "Bearer " + tokens[user])]

        # No token, and a token of nobody's.
        for metadata in (None, [("authorization", "Bearer tmn_" + "1" * 64)]):
            with self.assertRaises(grpc.RpcError) as caught:
                stub.Status(pb.StatusRequest(), metadata=metadata, timeout=10)
            self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        self.assertIn("refused a control call (status)", coord.wait_for("refused a control call"))

        with self.assertRaises(grpc.RpcError) as caught:
            next(iter(stub.Watch(pb.WatchRequest(), timeout=10)))
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        # A watcher sees every event from now on, and its stream ends when the run does.
        seen = []
        ended = []

        def watch():
            try:
                for event in stub.Watch(pb.WatchRequest(), metadata=as_("kim"), timeout=60):
                    seen.append(event)
                ended.append("ok")
            except grpc.RpcError as e:
                ended.append(e.code())

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        # The stream is open once an act shows on it: a sign-off of no step, refused.
        for _ in range(100):
            probe = stub.SignOff(pb.SignOffRequest(step="no-such-step"), metadata=as_("kim"),
                                 timeout=10)
            self.assertFalse(probe.accepted)
            self.assertIn("there is no step 'no-such-step'", probe.reason)
            time.sleep(0.05)
            if any(e.type == "rejected" for e in seen):
                break
        self.assertTrue(any(e.type == "rejected" for e in seen), "the watch stream saw nothing")

        status = stub.Status(pb.StatusRequest(), metadata=as_("kim"), timeout=10)
        self.assertEqual(status.name, "client-demo")
        self.assertEqual(status.steps_total, 3)

        wrong = stub.SignOff(pb.SignOffRequest(step="confirm"), metadata=as_("kim"), timeout=10)
        self.assertFalse(wrong.accepted)
        self.assertEqual(wrong.person, "kim")
        self.assertIn("needs ops", wrong.reason)
        ok = stub.SignOff(pb.SignOffRequest(step="confirm", comment="done"), metadata=as_("olu"),
                          timeout=10)
        self.assertTrue(ok.accepted, ok.reason)
        twice = stub.SignOff(pb.SignOffRequest(step="confirm"), metadata=as_("olu"), timeout=10)
        self.assertFalse(twice.accepted)
        self.assertIn("not waiting for a sign-off", twice.reason)

        with self.assertRaises(grpc.RpcError) as caught:
            stub.Decide(pb.DecideRequest(gate="go-live", decision="maybe"), metadata=as_("kim"),
                        timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        go = stub.Decide(pb.DecideRequest(gate="go-live", decision="go", reason="green"),
                         metadata=as_("kim"), timeout=10)
        self.assertTrue(go.accepted, go.reason)
        late = stub.Decide(pb.DecideRequest(gate="go-live", decision="nogo", reason="late"),
                           metadata=as_("kim"), timeout=10)
        self.assertFalse(late.accepted)
        self.assertIn("already decided go", late.reason)

        stopped = stub.Abort(pb.RunCommand(reason="end of test"), metadata=as_("olu"), timeout=10)
        self.assertTrue(stopped.accepted, stopped.reason)
        self.assertEqual(coord.wait(timeout=30), 3, coord.output())
        watcher.join(timeout=20)
        self.assertEqual(ended, ["ok"])
        kinds = [(e.type, e.actor) for e in seen]
        self.assertTrue(any(e.type == "rejected" and "needs ops" in e.payload_json for e in seen))
        self.assertIn(("signoff", "olu"), kinds)
        self.assertIn(("decision", "kim"), kinds)
        self.assertEqual(seen[-1].type, "run_ended")
        signoff = next(e for e in seen if e.type == "signoff")
        self.assertIn('"step":"confirm"', signoff.payload_json)
        channel.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
