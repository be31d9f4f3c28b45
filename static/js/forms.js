// Progressive enhancements of forms; every form works without this file (see base.html's CSP:
// no inline handlers).
document.documentElement.classList.add("js");

// "Use this address": fill a field with a suggested value the admin picks.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-fill-target]");
  if (!button) {
    return;
  }
  const field = document.getElementById(button.dataset.fillTarget);
  if (field) {
    field.value = button.dataset.fillValue;
    field.focus();
  }
});

// Data-loss form: show the disclosure boxes of the stakeholders ticked (a box with an error
// stays visible). Without JavaScript every box is shown.
function showTickedDisclosures(form) {
  const ticked = new Set(
    Array.from(form.querySelectorAll('input[name="stakeholders"]:checked'), (input) => input.value),
  );
  form.querySelectorAll("[data-stakeholder]").forEach((box) => {
    box.hidden = !ticked.has(box.dataset.stakeholder) && !box.querySelector(".has-error");
  });
}

document.querySelectorAll("form[data-disclosures]").forEach((form) => {
  showTickedDisclosures(form);
  form.addEventListener("change", (event) => {
    if (event.target.name === "stakeholders") {
      showTickedDisclosures(form);
    }
  });
});

// An error summary takes the focus so screen readers announce it.
const errorSummary = document.querySelector(".error-summary");
if (errorSummary) {
  errorSummary.focus();
}
