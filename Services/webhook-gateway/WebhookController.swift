import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PorterKit

/// `POST /webhooks/github`: checks size, signature, headers and JSON in that order, then records the
/// delivery and its effect in one transaction before answering. It never calls GitHub or Fly.
struct WebhookController: Sendable {
    /// GitHub caps webhook payloads at 25 MB.
    static let maximumBodyBytes = 25 * 1024 * 1024

    let signature: WebhookSignature
    let interpreter: WebhookInterpreter
    let store: any WebhookDeliveryStore
    let metrics: ServiceMetrics
    let logger: Logger

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/webhooks/github", use: receive)
        router.post("/api/webhooks/github", use: receive)
    }

    struct Answer: Encodable {
        var status: String
        var reason: String? = nil
        var deliveryId: String? = nil
        var outcome: String? = nil
        var taskId: UUID? = nil
    }

    @Sendable func receive(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let start = ContinuousClock.now
        let (response, event, outcome) = await handle(request)
        metrics.counter(
            "deliveries", help: "Webhook deliveries by event and outcome.",
            labels: [("event", event), ("outcome", outcome.rawValue)]
        ).increment()
        metrics.histogram("ack_duration", help: "Time from request to answer for a webhook delivery.")
            .record(ContinuousClock.now - start)
        return response
    }

    private func handle(_ request: Request) async -> (Response, event: String, outcome: DeliveryOutcome) {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maximumBodyBytes {
            return (
                Self.reply(.contentTooLarge, Answer(status: "rejected", reason: "body over 25 MB")), "unverified",
                .tooLarge
            )
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumBodyBytes)
        } catch {
            return (
                Self.reply(.contentTooLarge, Answer(status: "rejected", reason: "body over 25 MB")), "unverified",
                .tooLarge
            )
        }
        let bytes = body.readableBytesView
        guard signature.isValid(request.headers[.hubSignature256], body: bytes) else {
            return (
                Self.reply(.unauthorized, Answer(status: "rejected", reason: "missing or invalid X-Hub-Signature-256")),
                "unverified", .unauthorized
            )
        }
        guard let event = request.headers[.gitHubEvent], !event.isEmpty,
            let deliveryID = request.headers[.gitHubDelivery], !deliveryID.isEmpty, deliveryID.count <= 100
        else {
            return (
                Self.reply(
                    .badRequest, Answer(status: "rejected", reason: "missing X-GitHub-Event or X-GitHub-Delivery")),
                "unverified", .malformed
            )
        }
        let data = Data(bytes)
        let envelope: WebhookPayload.Envelope?
        let effect: DeliveryEffect
        do {
            // One parse on the common path: an envelope decodes only from a JSON object.
            let decoded = try WebhookPayload.envelope(from: data)
            envelope = decoded
            effect = interpreter.interpret(event: event, payload: decoded)
        } catch {
            // Only a body that is not an envelope is parsed again, to tell "not a JSON object" from
            // "an object of the wrong shape".
            guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
                return (
                    Self.reply(.badRequest, Answer(status: "rejected", reason: "body is not a JSON object")), event,
                    .malformed
                )
            }
            envelope = nil
            effect = interpreter.unreadable(event: event, problem: WebhookPayload.problem(error))
        }
        if case .reject(let reason) = effect {
            // Nothing is written: GitHub keeps the delivery as failed, and it can come again.
            logger.warning(
                "delivery refused",
                metadata: ["delivery_id": "\(deliveryID)", "event": "\(event)", "reason": "\(reason)"])
            return (Self.reply(.badRequest, Answer(status: "rejected", reason: reason)), event, .malformed)
        }
        let delivery = IncomingDelivery(
            id: deliveryID, event: event, action: envelope?.action, installationID: envelope?.installation?.id)
        do {
            switch try await store.record(delivery, effect: effect) {
            case .duplicate:
                return (Self.reply(.ok, Answer(status: "duplicate", deliveryId: deliveryID)), event, .duplicate)
            case .recorded(let outcome, let detail, let taskID):
                logger.info(
                    "delivery recorded",
                    metadata: ["delivery_id": "\(deliveryID)", "event": "\(event)", "outcome": "\(detail)"])
                let answer = Answer(
                    status: taskID == nil ? "ok" : "accepted", deliveryId: deliveryID, outcome: detail, taskId: taskID)
                return (Self.reply(taskID == nil ? .ok : .accepted, answer), event, outcome)
            }
        } catch {
            logger.error(
                "could not record delivery",
                metadata: ["delivery_id": "\(deliveryID)", "error": "\(String(reflecting: error))"])
            return (
                Self.reply(
                    .serviceUnavailable,
                    Answer(status: "error", reason: "the delivery could not be recorded; it was not accepted")), event,
                .failed
            )
        }
    }

    static func reply(_ status: HTTPResponse.Status, _ answer: Answer) -> Response {
        let data = (try? JSONEncoder.api.encode(answer)) ?? Data(#"{"status":"error"}"#.utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension HTTPField.Name {
    static let hubSignature256 = Self("X-Hub-Signature-256")!
    static let gitHubEvent = Self("X-GitHub-Event")!
    static let gitHubDelivery = Self("X-GitHub-Delivery")!
}
