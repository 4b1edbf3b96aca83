import Foundation
import Testing
@testable import HilumHTTP

@Suite struct WorkbenchTests {
    /// The page compiled into the binary is the page in Sources/HilumHTTP/Workbench (run Tools/embed-workbench.py).
    @Test func embeddedAssetsMatchTheirSources() throws {
        let dir = S.root.appendingPathComponent("Sources/HilumHTTP/Workbench")
        #expect(WorkbenchAssets.all.map(\.path) == ["/", "/app.js", "/style.css"])
        for a in WorkbenchAssets.all {
            let text = try String(contentsOf: dir.appendingPathComponent(a.file), encoding: .utf8)
            #expect(a.body == text, "\(a.file) changed: run Tools/embed-workbench.py")
        }
    }

    /// The page calls only same-origin API paths, never a CDN or another host.
    @Test func pageLoadsNothingFromElsewhere() {
        for a in WorkbenchAssets.all {
            let body = a.body.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")   // the SVG namespace, not a URL fetched
            #expect(!body.contains("http://") && !body.contains("https://") && !body.contains("//cdn"), "\(a.file)")
            #expect(!a.body.contains("localStorage"), "\(a.file)")
        }
        let js = WorkbenchAssets.all.first { $0.file == "app.js" }?.body ?? ""
        #expect(js.contains("/v1/"))
    }
}
