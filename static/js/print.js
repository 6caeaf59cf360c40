// Print buttons ([data-print]) open the browser's print dialog; kept out of the markup for the CSP.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});
