// "Prøv igjen" on the offline page: a file, not an onclick attribute (the CSP allows no inline script).
document.getElementById('retry')?.addEventListener('click', () => location.reload());
