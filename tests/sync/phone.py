"""A simulated phone: a local store, an outbox with per-client seq, and the pull/push loop.

Like the app (sync/PROTOCOL.md, "What the phone does"), it keeps the visits and activities it
authored and the server acknowledged, and after a reset offers again those the snapshot lacks.
"""

import hashlib
import uuid

from sync.entities import authored

AUTHORED = authored()


class Phone:
    def __init__(self, client, headers, client_id=None):
        self.client = client
        self.headers = headers
        self.client_id = str(client_id or uuid.uuid4())
        self.store = {}  # (entity, id) -> {"version", "data"}
        self.outbox = []  # queued mutations, oldest first
        self.seq = 0
        self.cursor = None
        self.results = {}  # mutation id -> last result seen
        self.sent = {}  # mutation id -> acknowledged mutation of a record this phone authored, oldest first
        self.reoffer = False  # a reset happened: offer authored records again once the snapshot is in
        self.files = {}  # photo id -> {"data", "uploaded"}: bytes kept until the server has them

    # --- local writes -------------------------------------------------------
    def queue(self, entity, op, entity_id, data=None, base_version=None):
        """Add a mutation to the outbox with the next seq; return it."""
        self.seq += 1
        mutation = {
            "id": str(uuid.uuid4()),
            "seq": self.seq,
            "entity": entity,
            "entity_id": str(entity_id),
            "op": op,
            "data": data or {},
        }
        if base_version is not None:
            mutation["base_version"] = base_version
        self.outbox.append(mutation)
        return mutation

    def create(self, entity, data):
        record_id = str(uuid.uuid4())
        self.queue(entity, "create", record_id, data)
        return record_id

    def photo(self, visit_id, data, taken_at):
        """Take a photo at a visit: its record queued, its bytes kept to upload once the record is accepted."""
        record_id = self.create(
            "photo",
            {
                "visit_id": str(visit_id),
                "taken_at": taken_at,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        )
        self.files[record_id] = {"data": data, "uploaded": False, "create": self.outbox[-1]["id"]}
        return record_id

    # --- network ------------------------------------------------------------
    def push(self, batch=None):
        batch = self.outbox[: batch or len(self.outbox)]
        if not batch:
            return None
        response = self.client.post(
            "/api/sync/push", json={"client_id": self.client_id, "mutations": batch}, headers=self.headers
        )
        if response is not None and response.status_code == 200:  # None: the answer never came
            self.ack(response.get_json()["results"])
        return response

    def ack(self, results):
        done = {r["id"] for r in results}
        for r in results:
            self.results[r["id"]] = r
        for m in self.outbox:
            status = self.results.get(m["id"], {}).get("status")
            if m["id"] in done and m["entity"] in AUTHORED and m["op"] != "delete":
                first = self.results[m["id"]].get("first_status") if status == "duplicate" else status
                if first == "applied":
                    self.sent.setdefault(m["id"], dict(m))
        self.outbox = [m for m in self.outbox if m["id"] not in done]

    def renumber(self, expected):
        """The server applied nothing past its last seq: renumber the queue from there (as the app does)."""
        assert self.outbox and expected < self.outbox[0]["seq"]
        for offset, m in enumerate(self.outbox):
            m["seq"] = expected + offset
        self.seq = expected + len(self.outbox) - 1

    def offer_again(self):
        """After a reset: queue again, under their own mutation ids, the authored records the snapshot lacks."""
        self.reoffer = False
        missing = [m for m in self.sent.values() if (m["entity"], m["entity_id"]) not in self.store]
        queued = {m["id"] for m in self.outbox}
        for m in missing:
            if m["id"] not in queued:
                self.seq += 1
                self.outbox.append({**m, "seq": self.seq})
        return len(missing)

    def pull_page(self, limit=500):
        query = f"/api/sync/pull?limit={limit}" + (f"&cursor={self.cursor}" if self.cursor else "")
        response = self.client.get(query, headers=self.headers)
        if response is None:  # the answer never came: nothing applied, the cursor stays
            return None
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        if page["reset_required"]:
            self.store.clear()  # the server copy is rebuilt; the outbox is kept
            self.cursor = None
            self.reoffer = True
            return page
        self.apply(page)
        return page

    def apply(self, page):
        for change in page["changes"]:
            key = (change["entity"], change["id"])
            if change["op"] == "delete":
                self.store.pop(key, None)
            elif key not in self.store or change["version"] >= self.store[key]["version"]:
                self.store[key] = {"version": change["version"], "data": change["data"]}
        self.cursor = page["cursor"]

    def pull(self, limit=500):
        for _ in range(10000):
            page = self.pull_page(limit)
            if page is not None and not page["has_more"] and not page["reset_required"]:
                return
        raise AssertionError("pull did not finish")

    def sync(self):
        for _ in range(100):
            while self.outbox:
                response = self.push()
                if response.status_code == 409 and response.get_json()["error"]["code"] == "seq_gap":
                    self.ack(response.get_json()["error"].get("results", []))
                    self.renumber(response.get_json()["error"]["expected_seq"])
                    continue
                assert response.status_code == 200, response.get_json()
            self.pull()
            if not (self.reoffer and self.offer_again()):
                return
        raise AssertionError("sync did not settle")

    def upload(self):
        """PUT the bytes of each photo whose create the server answered, as the app does after a push.
        A lost answer leaves the photo waiting (sent again next time); a refusal is final."""
        queued = {m["entity_id"] for m in self.outbox}
        for record_id, file in self.files.items():
            result = self.results.get(file["create"])
            if file["uploaded"] or record_id in queued or result is None:
                continue
            if result.get("first_status", result["status"]) != "applied":
                file["uploaded"] = "refused"
                continue
            response = self.client.put(
                f"/api/photos/{record_id}/content",
                data=file["data"],
                headers={**self.headers, "X-Content-SHA256": hashlib.sha256(file["data"]).hexdigest()},
            )
            if response is None:
                continue
            if response.status_code == 404:  # its visit was deleted meanwhile, and the photo with it
                file["uploaded"] = "gone"
                continue
            assert response.status_code in (200, 201), response.get_json()
            file["uploaded"] = True

    def ids(self, entity):
        return {record_id for (name, record_id) in self.store if name == entity}
