from satisfaction import create_app

app = create_app()
