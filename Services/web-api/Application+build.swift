import Foundation
import Hummingbird
import PorterKit

func buildApplication(config: WebAPIConfig, dependencies: ServiceDependencies) async throws -> some ApplicationProtocol
{
    let feed = TaskChangeFeed(client: dependencies.postgres, metrics: dependencies.metrics, logger: dependencies.logger)
    let figures = TaskFigures(
        feed: feed, client: dependencies.postgres, metrics: dependencies.metrics, logger: dependencies.logger)
    let router = try await buildRouter(config: config, dependencies: dependencies, feed: feed, figures: figures)
    return PorterApplication.make(
        router: router, basics: config.basics, dependencies: dependencies, workers: [feed, figures.table])
}

func buildRouter(
    config: WebAPIConfig, dependencies: ServiceDependencies, feed: TaskChangeFeed, figures: TaskFigures
) async throws -> Router<WebContext> {
    let logger = dependencies.logger
    let postgres = dependencies.postgres
    let pages = try await Pages(
        directory: config.resources + "/Templates", imageOrigins: [Pages.origin(of: config.github.webURL)])
    let github = GitHubClient(
        endpoints: config.github, app: config.app, userAgent: "porter-web-api", metrics: dependencies.metrics,
        logger: logger)
    let sessions = PostgresSessionStore(client: postgres, settings: config.sessions, logger: logger)
    let accounts = PostgresAccountStore(client: postgres, keyring: config.encryptionKeys, logger: logger)
    let queue = PostgresJobQueue(client: postgres, logger: logger)
    let gitHub = UserGitHub(github: github, accounts: accounts, oauth: config.oauth, appID: config.app.appID)
    let account = AccountSettings(
        secrets: PostgresUserSecretStore(client: postgres, keyring: config.encryptionKeys, logger: logger),
        settings: PostgresUserSettingsStore(client: postgres, logger: logger), queue: queue, fly: config.fly,
        logger: logger)

    let router = PorterApplication.router(context: WebContext.self, dependencies: dependencies)
    // Browsers ask for it on every page, API answers included.
    router.get("/favicon.ico") { _, _ in Response.redirect(to: "/static/porter.svg", type: .permanent) }
    router.add(middleware: ErrorMiddleware(pages: pages, sessions: sessions, settings: config.sessions))
    router.add(middleware: AddressGuardMiddleware())
    router.add(
        middleware: FileMiddleware(
            config.resources + "/Static", urlBasePath: "/static",
            cacheControl: .init([(MediaType(type: .any), [.maxAge(3600)])]),
            logger: logger))
    router.add(middleware: SessionMiddleware(sessions: sessions, settings: config.sessions, origin: config.origin))

    AuthController(
        pages: pages, sessions: sessions,
        signIns: PostgresSignInStore(client: postgres, settings: config.sessions, logger: logger),
        accounts: accounts, queue: queue, settings: config.sessions, github: github, oauth: config.oauth,
        publicURL: config.publicURL, logger: logger
    ).add(to: router)
    SettingsPages(pages: pages, account: account, gitHub: gitHub, installURL: config.installURL, logger: logger)
        .add(to: router)
    ConfigAPI(account: account, fly: config.fly).add(to: router)
    DiagnosticsController(
        pages: pages, config: config, postgres: postgres, github: github, gitHub: gitHub, installURL: config.installURL,
        logger: logger
    ).add(to: router)
    GitHubAPI(gitHub: gitHub, accounts: accounts).add(to: router)
    let visibility = TaskVisibility(gitHub: gitHub)
    let lists = PostgresTaskListStore(client: postgres, logger: logger, figures: figures)
    let changes = TaskChangeStore(client: postgres, logger: logger)
    let agentStats = PostgresAgentStatsStore(client: postgres, logger: logger, figures: figures)
    TaskListAPI(store: lists, visibility: visibility).add(to: router)
    HistoryPages(pages: pages, store: lists, visibility: visibility, agents: Agent.nameable(demo: config.demoAgent))
        .add(to: router)
    HistoryAPI(store: lists, visibility: visibility, logger: logger).add(to: router)
    AgentStatsAPI(store: agentStats, visibility: visibility).add(to: router)
    let tasks = TasksController(
        pages: pages, store: PostgresTaskOverviewStore(client: postgres, logger: logger), changes: changes,
        github: github, queue: queue, logger: logger)
    tasks.add(to: router)
    TaskStreams(feed: feed, changes: changes, visibility: visibility, tasks: tasks).add(to: router)
    DashboardPages(
        pages: pages, lists: lists, changes: changes, visibility: visibility, agentStats: agentStats
    ).add(to: router)
    let intake = PostgresTaskIntake(client: postgres, logger: logger)
    let dispatch = TaskDispatch(
        gitHub: gitHub, intake: intake, agents: Agent.nameable(demo: config.demoAgent), logger: logger)
    ReviewController(
        pages: pages, store: PostgresReviewStore(client: postgres, logger: logger), gitHub: gitHub, tasks: tasks,
        visibility: visibility, intake: intake, signals: ReviewSignalsCache(),
        mention: MentionScanner(mention: config.mention), logger: logger
    ).add(to: router)
    let recent = PostgresRecentCommandStore(client: postgres, logger: logger)
    DispatchController(
        pages: pages, dispatch: dispatch, recent: recent, account: account, installURL: config.installURL,
        logger: logger
    ).add(to: router)
    DispatchAPI(dispatch: dispatch, recent: recent, publicURL: config.publicURL).add(to: router)
    try OpenAPIController(directory: config.resources).add(to: router)
    return router
}
