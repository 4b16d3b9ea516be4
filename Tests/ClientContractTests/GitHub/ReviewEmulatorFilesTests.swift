import Crypto
import Foundation
import PorterEmulators
import PorterKit
import Testing

/// `GET /pulls/{n}/files` as GitHub answers it: each file's status, counts, blob and URLs, its patch
/// (hunks only) when it has one that is not too large, renames with the old name, and pages.
@Suite struct ReviewEmulatorFilesTests {
    /// Git's blob id of `bytes`.
    static func blob(_ bytes: Data) -> String {
        var object = Data("blob \(bytes.count)\0".utf8)
        object.append(bytes)
        return Insecure.SHA1.hash(data: object).map { String(format: "%02x", $0) }.joined()
    }

    @Test func addedRemovedModifiedRenamedAndBinaryFilesAreListedAsGitHubListsThem() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        let logo = Data([0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 13, 0xFF])
        let head = try await emulator.pushCommit(
            owner: "acme", repo: "widgets", branch: "tidy",
            files: ["shared.txt": "one\nTWO\nthree\nfour\n", "new.txt": "fresh\n"], binaryFiles: ["logo.png": logo],
            deletions: ["gone.txt"], renames: ["old/name.txt": "new/name.txt"], message: "Tidy up", author: "alice")
        let number = try await emulator.addPullRequest(
            owner: "acme", repo: "widgets", title: "Tidy", head: "tidy", author: "alice")
        try await ReviewEmulator.run(world) { session in
            let answer = try await session.app.call(.GET, "/repos/acme/widgets/pulls/\(number)/files")
            #expect(answer.status == 200 && answer.headers["link"] == nil)
            let files = Dictionary(
                uniqueKeysWithValues: answer.list.map { ($0["filename"] as? String ?? "", $0) })
            #expect(files.keys.sorted() == ["gone.txt", "logo.png", "new.txt", "new/name.txt", "shared.txt"])

            let modified = try #require(files["shared.txt"])
            #expect(modified["status"] as? String == "modified")
            #expect(modified["patch"] as? String == "@@ -1,3 +1,4 @@\n one\n-two\n+TWO\n three\n+four")
            #expect(modified["additions"] as? Int == 2 && modified["deletions"] as? Int == 1)
            #expect(modified["changes"] as? Int == 3)
            #expect(modified["sha"] as? String == Self.blob(Data("one\nTWO\nthree\nfour\n".utf8)))

            let added = try #require(files["new.txt"])
            #expect(added["status"] as? String == "added" && added["patch"] as? String == "@@ -0,0 +1 @@\n+fresh")
            #expect(added["additions"] as? Int == 1 && added["deletions"] as? Int == 0)
            #expect(
                added["blob_url"] as? String == "http://127.0.0.1:\(session.port)/acme/widgets/blob/\(head)/new.txt")
            #expect(added["raw_url"] as? String == "http://127.0.0.1:\(session.port)/acme/widgets/raw/\(head)/new.txt")
            #expect(
                added["contents_url"] as? String
                    == "http://127.0.0.1:\(session.port)/repos/acme/widgets/contents/new.txt?ref=\(head)")

            let removed = try #require(files["gone.txt"])
            #expect(removed["status"] as? String == "removed" && removed["patch"] as? String == "@@ -1 +0,0 @@\n-bye")
            #expect(removed["deletions"] as? Int == 1 && removed["sha"] as? String == Self.blob(Data("bye\n".utf8)))

            let renamed = try #require(files["new/name.txt"])
            #expect(renamed["status"] as? String == "renamed")
            #expect(renamed["previous_filename"] as? String == "old/name.txt")
            #expect(renamed["changes"] as? Int == 0 && renamed["patch"] == nil)
            #expect(modified["previous_filename"] == nil)

            let binary = try #require(files["logo.png"])
            #expect(binary["status"] as? String == "added" && binary["patch"] == nil)
            #expect(binary["additions"] as? Int == 0 && binary["deletions"] as? Int == 0)
            #expect(binary["sha"] as? String == Self.blob(logo))

            // The pull request carries the same sizes.
            let pull = try await session.app.object("/repos/acme/widgets/pulls/\(number)")
            #expect(pull["changed_files"] as? Int == 5 && pull["commits"] as? Int == 1)
            #expect(pull["additions"] as? Int == 3 && pull["deletions"] as? Int == 2)
            #expect(pull["mergeable"] as? Bool == true && pull["mergeable_state"] as? String == "clean")

            // Porter's client reads the list too.
            let decoded = try await session.github.pullRequestFiles(
                installationID: world.installationID, owner: "acme", repo: "widgets", number: number)
            #expect(decoded.map(\.filename).sorted() == files.keys.sorted())
        }
        #expect(await emulator.fileText(owner: "acme", repo: "widgets", path: "logo.png", ref: "tidy") != nil)
    }

    @Test func threeHundredFilesComeThirtyToAPageWithLinks() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        let names = (1...300).map { String(format: "files/f%03d.txt", $0) }
        try await emulator.pushCommit(
            owner: "acme", repo: "widgets", branch: "many",
            files: Dictionary(uniqueKeysWithValues: names.map { ($0, "\($0)\n") }), author: "alice")
        let number = try await emulator.addPullRequest(
            owner: "acme", repo: "widgets", title: "Many", head: "many", author: "alice")
        try await ReviewEmulator.run(world) { session in
            let path = "/repos/acme/widgets/pulls/\(number)/files"
            let url = "http://127.0.0.1:\(session.port)\(path)"
            let first = try await session.app.call(.GET, path)
            #expect(first.list.count == 30)
            #expect(
                first.headers["link"]
                    == "<\(url)?per_page=30&page=2>; rel=\"next\", <\(url)?per_page=30&page=10>; rel=\"last\"")
            let middle = try await session.app.call(.GET, path + "?page=4")
            #expect(middle.list.first?["filename"] as? String == names[90])
            #expect(
                middle.headers["link"]
                    == "<\(url)?per_page=30&page=3>; rel=\"prev\", <\(url)?per_page=30&page=5>; rel=\"next\", "
                    + "<\(url)?per_page=30&page=10>; rel=\"last\", <\(url)?per_page=30&page=1>; rel=\"first\"")
            let tooMany = try await session.app.call(.GET, path + "?per_page=500")
            #expect(tooMany.list.count == 100)
            var seen: [String] = []
            for page in 1...4 {
                let answer = try await session.app.call(.GET, path + "?per_page=100&page=\(page)")
                seen += answer.list.compactMap { $0["filename"] as? String }
                #expect((answer.headers["link"]?.contains("rel=\"next\"") ?? false) == (page < 3))
            }
            #expect(seen == names)
            let pull = try await session.app.object("/repos/acme/widgets/pulls/\(number)")
            #expect(pull["changed_files"] as? Int == 300 && pull["additions"] as? Int == 300)
        }
    }

    @Test func aFileWithMoreThanAMegabyteOfPatchIsListedWithoutIt() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        // 100,000 lines of 52 bytes: 5.2 MB.
        let line = String(repeating: "x", count: 40)
        let big = (0..<100_000).map { String(format: "%010d ", $0) + line + "\n" }.joined()
        try await emulator.pushCommit(
            owner: "acme", repo: "widgets", branch: "big", files: ["data/big.csv": big, "small.txt": "small\n"],
            author: "alice")
        let number = try await emulator.addPullRequest(
            owner: "acme", repo: "widgets", title: "Data", head: "big", author: "alice")
        try await ReviewEmulator.run(world) { session in
            let started = ContinuousClock.now
            let files = try await session.app.call(.GET, "/repos/acme/widgets/pulls/\(number)/files").list
            let elapsed = ContinuousClock.now - started
            let large = try #require(files.first { $0["filename"] as? String == "data/big.csv" })
            #expect(large["patch"] == nil && large["status"] as? String == "added")
            #expect(large["additions"] as? Int == 100_000 && large["changes"] as? Int == 100_000)
            let small = try #require(files.first { $0["filename"] as? String == "small.txt" })
            #expect(small["patch"] as? String == "@@ -0,0 +1 @@\n+small")
            // Generous: the point is that one large file costs one git diff, not a line-by-line crawl.
            #expect(elapsed < .seconds(20), "listing took \(elapsed)")
        }
    }
}
