// cnnviz markup: HTML that cnnviz built itself (feature-map tiles, vote bars, the preprocessing strip),
// put into the page once per change. st.html runs every block through DOMPurify on every rerun and
// then parses it again: on the Feature maps page that was about 60 ms of a shift's browser time on a
// 2-core machine. Here an unchanged block costs nothing, and a new one is parsed once, inert, in a
// <template>, with the few things that could run or load from elsewhere taken out before it is shown.

const DROPPED = new Set(["SCRIPT", "IFRAME", "FRAME", "FRAMESET", "OBJECT", "EMBED", "LINK", "META", "BASE", "FORM"]);
const URL_ATTRIBUTES = new Set(["href", "src", "xlink:href", "action", "formaction", "srcset", "poster"]);
const SAFE_URL = /^(data:image\/(png|gif|jpeg|webp);base64,|#)/i;

export default function ({ parentElement, data }) {
  let host = parentElement.querySelector(".cnnviz-markup");
  if (!host) {
    host = document.createElement("div");
    host.className = "cnnviz-markup";
    parentElement.appendChild(host);
  }
  if (host.cnnvizMarkup === data.html) return;
  host.cnnvizMarkup = data.html;
  host.replaceChildren(inert(data.html));
}

function inert(markup) {
  // the markup as nodes, parsed where nothing runs or loads, without scripts, handlers or outside URLs
  const template = document.createElement("template");
  template.innerHTML = markup;
  for (const element of template.content.querySelectorAll("*")) {
    if (DROPPED.has(element.tagName.toUpperCase())) {
      element.remove();
      continue;
    }
    for (const { name, value } of [...element.attributes]) {
      const lower = name.toLowerCase();
      if (lower.startsWith("on") || (URL_ATTRIBUTES.has(lower) && !SAFE_URL.test(value.trim()))) {
        element.removeAttribute(name);
      }
    }
  }
  return template.content;
}
