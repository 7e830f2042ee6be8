// ForceAtlas2 in a web worker: the page sends the node and edge matrices (graphology-layout-forceatlas2's
// layout), the worker runs `iterations` steps and sends the nodes back. A file of our own origin (not a blob),
// so the Content-Security-Policy needs no exception.
import iterate from "graphology-layout-forceatlas2/iterate.js";

let nodes = null;
let edges = null;

self.addEventListener("message", (event) => {
  const data = event.data;
  nodes = new Float32Array(data.nodes);
  if (data.edges) edges = new Float32Array(data.edges);
  for (let i = 0; i < (data.iterations || 1); i += 1) iterate(data.settings, nodes, edges);
  self.postMessage({ nodes: nodes.buffer }, [nodes.buffer]);
});
