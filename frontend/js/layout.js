// Runs ForceAtlas2 on the explorer's graph in the web worker (layout-worker.js), a batch of iterations at a time,
// writing positions back between batches, for at most `seconds`. Pinned nodes (attribute `fixed`) stay put.
import { assignLayoutChanges, graphToByteArrays } from "graphology-layout-forceatlas2/helpers.js";
import forceAtlas2 from "graphology-layout-forceatlas2";
import DEFAULTS from "graphology-layout-forceatlas2/defaults.js";

export class Layout {
  constructor(graph, workerUrl, onChange) {
    this.graph = graph;
    this.workerUrl = workerUrl;
    this.onChange = onChange;
    this.worker = null;
    this.running = false;
    this.stopAt = 0;
  }

  start(seconds) {
    this.stop();
    if (this.graph.order === 0) return;
    // The worker runs the bare iteration: it needs every setting (a missing edgeWeightInfluence makes NaN).
    const settings = { ...DEFAULTS, ...forceAtlas2.inferSettings(this.graph), linLogMode: true };
    const matrices = graphToByteArrays(this.graph, (edge, attr) => attr.weight || 1);
    this.worker = new Worker(this.workerUrl);
    this.running = true;
    this.stopAt = performance.now() + seconds * 1000;
    const iterations = this.graph.order > 5000 ? 1 : 5;
    this.worker.addEventListener("message", (event) => {
      if (!this.running) return;
      const positions = new Float32Array(event.data.nodes);
      assignLayoutChanges(this.graph, positions, null);
      this.onChange(true);
      if (performance.now() > this.stopAt) {
        this.stop();
        return;
      }
      this.worker.postMessage({ settings, nodes: positions.buffer, iterations }, [positions.buffer]);
    });
    this.worker.postMessage(
      { settings, nodes: matrices.nodes.buffer, edges: matrices.edges.buffer, iterations },
      [matrices.nodes.buffer, matrices.edges.buffer],
    );
    this.onChange(true);
  }

  stop() {
    const was = this.running;
    this.running = false;
    if (this.worker) this.worker.terminate();
    this.worker = null;
    if (was) this.onChange(false);
  }
}
