// Progressive enhancements; every page works without this file.
// Forms with data-confirm ask before submitting (no inline handlers: see the CSP in settings).
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
