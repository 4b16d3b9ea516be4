import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

extension GitHubEmulator {
    /// Sends `issue_comment` (`created`) for a comment, as GitHub does for every new comment.
    func deliverIssueComment(_ commentID: Int) async {
        guard
            let (comment, repository) = state.withLock({ state in
                state.comments[commentID].flatMap { comment in
                    state.repositories[comment.repositoryID].map { (comment, $0) }
                }
            }),
            let issue = try? issueJSON(repository, comment.issueNumber, webhook: true),
            let commentObject = try? commentJSON(commentID)
        else { return }
        await deliver(
            "issue_comment", action: "created", repository: repository, sender: comment.author,
            fields: ["issue": issue, "comment": commentObject])
    }

    /// Sends `issues` with `action` (`opened`, `closed`) for an issue.
    func deliverIssueEvent(_ action: String, repository: EmulatedRepository, number: Int, sender: String) async {
        guard let issue = try? issueJSON(repository, number, webhook: true) else { return }
        await deliver("issues", action: action, repository: repository, sender: sender, fields: ["issue": issue])
    }

    /// Sends a repository event to the webhook target, with the envelope every such event carries.
    func deliver(
        _ event: String, action: String, repository: EmulatedRepository, sender: String, fields: [String: Any]
    ) async {
        guard webhookTarget.withLock({ $0 }) != nil else { return }
        let owner = user(repository.owner)
        var payload: [String: Any] = [
            "action": action, "repository": repositoryJSON(repository), "sender": json.user(user(sender)),
        ]
        payload.merge(fields) { $1 }
        if owner.type == "Organization" { payload["organization"] = json.organization(owner) }
        let installationID = self.installation(covering: repository)
        if let installationID { payload["installation"] = json.installationStub(installationID) }
        guard let body = try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys]) else { return }
        let delivery = EmulatedDelivery(
            id: 0, guid: UUID().uuidString.lowercased(), event: event, action: action, installationID: installationID,
            repositoryID: repository.id, deliveredAt: Date(), redelivery: false, statusCode: 0, durationSeconds: 0,
            payload: body, signature: "")
        await send(delivery)
    }

    func installation(covering repository: EmulatedRepository) -> Int? {
        state.withLock { state in
            state.installations.values.sorted { $0.id < $1.id }.first { state.installationCovers($0, repository) }?.id
        }
    }

    /// GitHub gives a webhook target 10 seconds to answer.
    static let deliveryTimeout: TimeAmount = .seconds(10)

    /// Makes the next `count` webhook sends, redeliveries included, fail as if the target never
    /// answered: each is logged (status code 0, `timed out`) and never posted.
    public func dropNextDeliveries(_ count: Int) {
        state.withLock { $0.deliveriesToDrop += max(0, count) }
    }

    /// Sends the delivery with `guid` again, as `POST /app/hook/deliveries/{id}/attempts` does.
    public func redeliver(guid: String) async throws {
        guard let original = state.withLock({ $0.deliveries.first { $0.guid == guid } }) else {
            throw GitHubAPIError.notFound
        }
        try await redeliver(original)
    }

    /// Sends a logged delivery again: same payload, same GUID, marked as a redelivery.
    func redeliver(_ original: EmulatedDelivery) async throws {
        var delivery = original
        delivery.redelivery = true
        await send(delivery)
    }

    /// Posts one delivery the way GitHub's hookshot does and logs the attempt.
    func send(_ delivery: EmulatedDelivery) async {
        guard let target = webhookTarget.withLock({ $0 }) else { return }
        var delivery = delivery
        let mac = HMAC<SHA256>.authenticationCode(
            for: delivery.payload, using: SymmetricKey(data: Data(target.secret.utf8)))
        delivery.signature = "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "GitHub-Hookshot/5a8c0f1")
        request.headers.add(name: "X-GitHub-Event", value: delivery.event)
        request.headers.add(name: "X-GitHub-Delivery", value: delivery.guid)
        request.headers.add(name: "X-GitHub-Hook-ID", value: "1")
        request.headers.add(name: "X-Hub-Signature-256", value: delivery.signature)
        if delivery.installationID != nil {
            request.headers.add(name: "X-GitHub-Hook-Installation-Target-ID", value: String(app.id))
            request.headers.add(name: "X-GitHub-Hook-Installation-Target-Type", value: "integration")
        }
        request.body = .bytes(ByteBuffer(bytes: delivery.payload))
        let start = ContinuousClock.now
        let dropped = state.withLock { state in
            guard state.deliveriesToDrop > 0 else { return false }
            state.deliveriesToDrop -= 1
            return true
        }
        if dropped {
            // What GitHub logs when the target never answers within its 10 seconds.
            (delivery.statusCode, delivery.status) = (0, "timed out")
        } else {
            do {
                let response = try await httpClient.execute(request, timeout: Self.deliveryTimeout)
                delivery.statusCode = Int(response.status.code)
                delivery.status =
                    (200..<300).contains(delivery.statusCode) ? "OK" : "Invalid HTTP Response: \(delivery.statusCode)"
                _ = try? await response.body.collect(upTo: 1 << 20)
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
                (delivery.statusCode, delivery.status) = (0, "timed out")
            } catch {
                (delivery.statusCode, delivery.status) = (0, "failed to connect to host")
            }
        }
        let elapsed = dropped ? .seconds(10) : ContinuousClock.now - start
        delivery.durationSeconds = elapsed.seconds
        delivery.deliveredAt = Date()
        state.withLock { state in
            delivery.id = state.newID()
            state.deliveries.append(delivery)
        }
    }
}
