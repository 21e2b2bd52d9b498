// Conveniences only: every page works fully without JavaScript (the text can be selected by hand).
function selectText(target) {
  const range = document.createRange();
  range.selectNodeContents(target);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

document.querySelectorAll("button[data-copy]").forEach((button) => {
  const label = button.textContent;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const target = document.getElementById(button.dataset.copy);
    if (!target) return;
    try {
      await navigator.clipboard.writeText(target.textContent.trim());
      button.textContent = "Copied";
    } catch (_) {
      selectText(target);  // no clipboard access: select it so Ctrl+C / long-press copies it
      button.textContent = "Selected: copy it now";
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
});

// Tool profiles: ticking a family chooses "custom"; choosing a preset clears the ticks (the server
// refuses ticks with a preset rather than guess which one was meant).
document.querySelectorAll("fieldset#profile").forEach((fieldset) => {
  const custom = fieldset.querySelector('input[name="profile"][value="custom"]');
  const boxes = fieldset.querySelectorAll("input[data-family]");
  boxes.forEach((box) => box.addEventListener("change", () => {
    if (box.checked && custom) custom.checked = true;
  }));
  fieldset.querySelectorAll('input[name="profile"]').forEach((radio) => radio.addEventListener("change", () => {
    if (radio !== custom) boxes.forEach((box) => { box.checked = false; });
  }));
});
