import Foundation

/// The Fly Machines API's JSON shapes as the swagger spells them (`fly.MachineConfig`, `Machine`, …).
/// Written out key by key, independently of PorterKit's client models, so a misspelled key on either
/// side shows up as a failing contract test instead of cancelling out.
enum FlyWire {
    struct Guest: Codable, Sendable, Equatable {
        var cpuKind: String?
        var cpus: Int?
        var memoryMB: Int?

        enum CodingKeys: String, CodingKey {
            case cpuKind = "cpu_kind"
            case cpus
            case memoryMB = "memory_mb"
        }
    }

    struct Restart: Codable, Sendable, Equatable {
        var policy: String?
        var maxRetries: Int?

        enum CodingKeys: String, CodingKey {
            case policy
            case maxRetries = "max_retries"
        }
    }

    struct Config: Codable, Sendable, Equatable {
        var image: String?
        var env: [String: String]?
        var guest: Guest?
        var autoDestroy: Bool?
        var restart: Restart?
        var metadata: [String: String]?

        enum CodingKeys: String, CodingKey {
            case image, env, guest, restart, metadata
            case autoDestroy = "auto_destroy"
        }
    }

    struct CreateMachineRequest: Codable, Sendable {
        var name: String?
        var region: String?
        var config: Config?
    }

    struct StopRequest: Codable, Sendable {
        var signal: String?
        /// Go's duration text (`"10s"`) as flyctl sends it, or nanoseconds as a number.
        var timeout: String?

        init(signal: String? = nil, timeout: String? = nil) {
            self.signal = signal
            self.timeout = timeout
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            signal = try container.decodeIfPresent(String.self, forKey: .signal)
            if let nanoseconds = try? container.decodeIfPresent(Int64.self, forKey: .timeout) {
                timeout = "\(nanoseconds)ns"
            } else {
                timeout = try container.decodeIfPresent(String.self, forKey: .timeout)
            }
        }
    }

    struct Machine: Codable, Sendable {
        var id: String
        var name: String
        var state: String
        var region: String
        var instanceID: String
        var privateIP: String
        var config: Config
        var createdAt: String
        var updatedAt: String

        enum CodingKeys: String, CodingKey {
            case id, name, state, region, config
            case instanceID = "instance_id"
            case privateIP = "private_ip"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }
    }

    struct Organization: Codable, Sendable {
        var name: String
        var slug: String
    }

    struct App: Codable, Sendable {
        var id: String
        var name: String
        var organization: Organization
        var status: String
    }

    struct ListApp: Codable, Sendable {
        var id: String
        var name: String
        var machineCount: Int

        enum CodingKeys: String, CodingKey {
            case id, name
            case machineCount = "machine_count"
        }
    }

    struct ListAppsResponse: Codable, Sendable {
        var apps: [ListApp]
        var totalApps: Int

        enum CodingKeys: String, CodingKey {
            case apps
            case totalApps = "total_apps"
        }
    }

    struct CreateAppRequest: Codable, Sendable {
        var appName: String?
        var orgSlug: String?
        var network: String?

        enum CodingKeys: String, CodingKey {
            case appName = "app_name"
            case orgSlug = "org_slug"
            case network
        }
    }

    /// What Fly answers a created app with (its docs' example; the swagger names no body).
    struct CreatedApp: Codable, Sendable {
        var id: String
        var createdAt: Int64

        enum CodingKeys: String, CodingKey {
            case id
            case createdAt = "created_at"
        }
    }

    struct ErrorResponse: Codable, Sendable {
        var error: String
    }

    struct OK: Codable, Sendable {
        var ok: Bool
    }
}
